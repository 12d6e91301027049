using FedTrain.Coordinator.Strategies;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Strategies;

namespace FedTrain.Coordinator.Tests;

/// <summary>
/// Differential privacy over the configured strategy: it stands in for the aggregate of every strategy that averages
/// the updates (FedAvg, FedProx, the server optimizers), keeping its server step, and refuses the others by name.
/// </summary>
public sealed class PrivateStrategyTests
{
    private static readonly float[] Model = [1, 1];

    [Theory]
    [InlineData("fedavg")]
    [InlineData("fedavgm")]
    [InlineData("fedprox")]
    [InlineData("fedadam")]
    [InlineData("fedyogi")]
    [InlineData("fedadagrad")]
    public void Every_strategy_that_averages_the_updates_runs_under_dp(string strategy)
    {
        var options = Dp(strategy);
        options.Validate();
        using var created = StrategyFactory.CreatePrivate(options.Strategy, options.Privacy!, Model.Length, resumeClipNorm: null);
        Assert.StartsWith("dp-fedavg(", created.Description, StringComparison.Ordinal);
        Assert.Equal(strategy != "fedavg", created.Description.EndsWith($" over {strategy}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("median")]
    [InlineData("trimmed-mean")]
    [InlineData("krum")]
    [InlineData("multi-krum")]
    [InlineData("qfedavg")]
    public void A_strategy_whose_result_the_clip_norm_does_not_bound_is_refused_by_name(string strategy)
    {
        // Krum's own check (its cohort is too small for the default f with two clients) does not speak first.
        var options = Dp(strategy);
        string message = Assert.Throws<ArgumentException>(options.Validate).Message;
        Assert.Contains($"strategy {strategy} does not aggregate a mean", message, StringComparison.Ordinal);
        Assert.Contains("fedadam", message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => StrategyFactory.CreatePrivate(options.Strategy, options.Privacy!, Model.Length, resumeClipNorm: null));
    }

    [Fact]
    public void Norm_bounding_under_dp_is_refused_for_the_clip_norm_that_does_its_work()
    {
        string message = Assert.Throws<ArgumentException>(Dp("norm-bounding").Validate).Message;
        Assert.Contains("strategy norm-bounding", message, StringComparison.Ordinal);
        Assert.Contains("--clip-norm", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Over_fedadam_the_released_mean_steps_the_server_optimizer()
    {
        // The release is the plain mean of the deltas (NearlyNoiseless), Δ = ([1, 2] + [3, −6]) / 2 = [2, −2]: plain
        // DP-FedAvg adds it, DP over FedAdam steps FedAdam with it.
        var options = Dp("fedadam");
        options.Strategy.Parameters["server_lr"] = 0.5;
        using var fedadam = StrategyFactory.CreatePrivate(options.Strategy, NearlyNoiseless(), Model.Length, resumeClipNorm: null);
        using var fedavg = StrategyFactory.CreatePrivate(Dp("fedavg").Strategy, NearlyNoiseless(), Model.Length, resumeClipNorm: null);

        var comparer = new ToleranceComparer(1e-5f);
        Assert.Equal([3, -1], Run(fedavg), comparer);
        float[] expected = [.. Model];
        new FedAdam(Model.Length, serverLearningRate: 0.5).Apply(expected, [2, -2]);
        Assert.NotEqual(expected, Run(fedavg), comparer);
        Assert.Equal(expected, Run(fedadam), comparer);
    }

    [Fact]
    public void Over_fedprox_the_workers_get_its_proximal_term()
    {
        var options = Dp("fedprox");
        options.Strategy.Parameters["proximal_mu"] = 0.3;
        using var strategy = StrategyFactory.CreatePrivate(options.Strategy, options.Privacy!, Model.Length, resumeClipNorm: null);
        Assert.Equal(0.3, strategy.ProximalMu);
        Assert.EndsWith("over fedprox(proximal_mu=0.3)", strategy.Description, StringComparison.Ordinal);
    }

    /// <summary>A run's options as a user would give them, over <paramref name="strategy"/>.</summary>
    private static CoordinatorOptions Dp(string strategy) => new()
    {
        Strategy = new StrategyOptions { Name = strategy },
        Privacy = new PrivacyOptions { SamplingRate = 0.1, NoiseMultiplier = 1, TargetEpsilon = 50, Delta = 1e-5, Population = 1000 },
    };

    /// <summary>
    /// Every client of two sampled, a clip norm no update reaches and a negligible noise (a mechanism no run would be
    /// allowed, for the arithmetic only): the release is the plain mean of the deltas.
    /// </summary>
    private static PrivacyOptions NearlyNoiseless() =>
        new() { SamplingRate = 1, NoiseMultiplier = 1e-9, ClipNorm = 100, TargetEpsilon = 50, Delta = 1e-5, Population = 2 };

    private static float[] Run(IAggregationStrategy strategy)
    {
        using var round = strategy.Begin(round: 1, selectedClients: 2, population: 2);
        round.Add("a", new ArrayUpdate([1, 2]), 300, metrics: null);
        round.Add("b", new ArrayUpdate([3, -6]), 100, metrics: null);
        var next = new float[Model.Length];
        Assert.True(round.Finish(Model, next).Applied);
        return next;
    }
}
