using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Strategies;
using FedTrain.Core.Aggregation;

namespace FedTrain.Coordinator.Tests;

/// <summary>q-FedAvg from the strategy configuration to the round's new model.</summary>
public sealed class QFedAvgStrategyTests
{
    private static readonly float[] Model = [1, 1];

    [Fact]
    public void By_default_q_zero_gives_fedavg_and_example_weights_0_the_plain_mean()
    {
        Assert.Equal(FedAvg(), Aggregate(("q", 0)), new ToleranceComparer(1e-6f));
        Assert.Equal([3, -1], Aggregate(("q", 0), ("example_weights", 0)), new ToleranceComparer(1e-6f));
    }

    [Fact]
    public void Example_weights_other_than_0_or_1_are_refused_by_name()
    {
        var options = new StrategyOptions { Name = "qfedavg" };
        options.Parameters["example_weights"] = 2;
        var ex = Assert.Throws<ArgumentException>(() => StrategyFactory.Validate(options, minFitClients: 2));
        Assert.Contains("example_weights", ex.Message, StringComparison.Ordinal);
    }

    private static float[] FedAvg()
    {
        using var fedavg = StrategyFactory.Create(new StrategyOptions(), 2, Model.Length, 0.1, Path.GetTempPath());
        return Run(fedavg);
    }

    private static float[] Aggregate(params (string Name, double Value)[] parameters)
    {
        var options = new StrategyOptions { Name = "qfedavg" };
        foreach (var (name, value) in parameters)
        {
            options.Parameters[name] = value;
        }

        using var strategy = StrategyFactory.Create(options, 2, Model.Length, 0.1, Path.GetTempPath());
        return Run(strategy);
    }

    // Client a: Δ = [1, 2] over 300 examples; client b: Δ = [3, −6] over 100. FedAvg: w + [1.5, 0] = [2.5, 1].
    private static float[] Run(IAggregationStrategy strategy)
    {
        using var round = strategy.Begin(round: 1, selectedClients: 2, population: 2);
        round.Add("a", new ArrayUpdate([1, 2]), 300, new WorkerMetrics(0, 0, 0, 0, 300, 0, 0, 0) { GlobalLoss = 0.5 });
        round.Add("b", new ArrayUpdate([3, -6]), 100, new WorkerMetrics(0, 0, 0, 0, 100, 0, 0, 0) { GlobalLoss = 2 });
        var next = new float[Model.Length];
        Assert.True(round.Finish(Model, next).Applied);
        return next;
    }
}
