using System.Text.Json.Nodes;
using FedTrain.Coordinator.Evaluation;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Storage;
using FedTrain.Coordinator.Strategies;
using FedTrain.Core.Aggregation;
using FedTrain.Privacy;

namespace FedTrain.Coordinator.Tests;

/// <summary>
/// The private strategy owns the guarantee's bookkeeping: each release is in the durable ledger and the budget before
/// its noise is drawn (its aggregate refuses to draw noise before), a restarted coordinator counts every release the
/// ledger holds, and a round or a fairness histogram the budget cannot afford is not made. Against a real SQLite store.
/// </summary>
public sealed class PrivateStrategyLedgerTests : IDisposable
{
    private const string Run = "run-1";
    private static readonly float[] Model = [1, 1];
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"dp-ledger-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task The_model_release_is_in_the_ledger_and_the_budget_before_the_aggregate_is_noised()
    {
        var privacy = Privacy(targetEpsilon: 50);
        using var store = await OpenAsync();
        using var strategy = Create(privacy, store, clientsEvaluate: false);
        using var round = strategy.Begin(round: 1, selectedClients: 2, population: 1000);
        round.Add("a", new ArrayUpdate([1, 2]), 300, metrics: null);
        round.Add("b", new ArrayUpdate([3, -6]), 100, metrics: null);

        long id = await strategy.RecordModelReleaseAsync(Run, round, 1, 1, CancellationToken.None);

        var release = Assert.Single(await store.LoadPrivacyReleasesAsync(Run));
        Assert.Equal((1L, 1, PrivacyRelease.Model), (release.Round, release.Attempt, release.Mechanism));
        Assert.Equal((privacy.SamplingRate, privacy.NoiseMultiplier), (release.SamplingRate, release.NoiseMultiplier));
        Assert.True(id > 0);
        var expected = new PrivacyBudget(privacy.TargetEpsilon, privacy.Delta);
        expected.Commit(privacy.SamplingRate, privacy.NoiseMultiplier);
        Assert.Equal(expected.SpentEpsilon, strategy.SpentEpsilon);
        // Only now is the noise drawn.
        Assert.True(round.Finish(Model, new float[Model.Length]).Applied);
    }

    [Fact]
    public async Task A_restarted_coordinator_counts_every_release_the_ledger_holds_committed_or_not()
    {
        var privacy = Privacy(targetEpsilon: 50);
        double spent;
        using (var store = await OpenAsync())
        using (var first = Create(privacy, store, clientsEvaluate: true))
        {
            using var round = first.Begin(1, 1, 1000);
            await first.RecordModelReleaseAsync(Run, round, 1, 1, CancellationToken.None);
            await first.ReleaseFairnessAsync(Run, 1, 1, [new ClientEvaluationResult("a", "w1", 0.8, 0.4, 50)], CancellationToken.None);
            spent = first.SpentEpsilon;
        }

        using var reopened = new SqliteCoordinatorStore(_path);
        using var restarted = Create(privacy, reopened, clientsEvaluate: true);
        Assert.Equal(0, restarted.SpentEpsilon);
        await restarted.RestoreAsync(Run, CancellationToken.None);

        Assert.Equal(spent, restarted.SpentEpsilon);
        var releases = Assert.IsType<JsonObject>(restarted.Summary()["releases"]);
        Assert.Equal((1, 1), ((int)releases["model"]!, (int)releases["fairness_histogram"]!));
        Assert.Equal([PrivacyRelease.Model, PrivacyRelease.FairnessHistogram], (await reopened.LoadPrivacyReleasesAsync(Run)).Select(r => r.Mechanism));
    }

    [Fact]
    public async Task A_round_or_histogram_the_budget_cannot_afford_is_not_made_and_the_refusal_gives_the_figures()
    {
        // One model release at q = 0.1, z = 1 costs a few ε; a target of 4 affords one round but not many.
        var privacy = Privacy(targetEpsilon: 4);
        using var store = await OpenAsync();
        using var strategy = Create(privacy, store, clientsEvaluate: true);
        var live = Enumerable.Range(0, 100).Select(i => new ClientInfo($"c{i}", "w1", 10, [])).ToList();
        long round = 1;
        while (strategy.BudgetReached(round) is null)
        {
            Assert.NotNull(strategy.DrawEvaluators(live));
            using var aggregator = strategy.Begin(round, 1, 1000);
            await strategy.RecordModelReleaseAsync(Run, aggregator, round, 1, CancellationToken.None);
            await strategy.ReleaseFairnessAsync(Run, round, 1, [], CancellationToken.None);
            round++;
            Assert.True(round < 1000, "the budget never ran out");
        }

        string refusal = strategy.BudgetReached(round)!;
        Assert.StartsWith("privacy budget reached: ", refusal, StringComparison.Ordinal);
        Assert.Contains($"spent after {round - 1} rounds; round {round} would reach ", refusal, StringComparison.Ordinal);
        Assert.True(strategy.SpentEpsilon <= privacy.TargetEpsilon);
        Assert.Equal(2 * (round - 1), (await store.LoadPrivacyReleasesAsync(Run)).Count);
    }

    [Fact]
    public async Task The_noise_is_not_drawn_before_the_release_is_in_the_ledger()
    {
        using var store = await OpenAsync();
        using var strategy = Create(Privacy(targetEpsilon: 50), store, clientsEvaluate: false);
        using var round = strategy.Begin(1, 1, 1000);
        round.Add("a", new ArrayUpdate([1, 2]), 10, metrics: null);

        var refused = Assert.Throws<InvalidOperationException>(() => round.Finish(Model, new float[Model.Length]));

        Assert.Contains("not in the ledger yet", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await store.LoadPrivacyReleasesAsync(Run));
        Assert.Equal(0, strategy.SpentEpsilon);
    }

    [Fact]
    public async Task An_aggregator_that_plans_no_release_is_refused_and_nothing_is_recorded()
    {
        using var store = await OpenAsync();
        using var strategy = Create(Privacy(targetEpsilon: 50), store, clientsEvaluate: false);
        using var plain = StrategyFactory.Create(new StrategyOptions { Name = "fedavg" }, minFitClients: 1, Model.Length, localLearningRate: 1, Path.GetTempPath());
        using var aggregator = plain.Begin(1, 1, 1);

        await Assert.ThrowsAsync<ArgumentException>(() => strategy.RecordModelReleaseAsync(Run, aggregator, 1, 1, CancellationToken.None));

        Assert.Empty(await store.LoadPrivacyReleasesAsync(Run));
        Assert.Equal(0, strategy.SpentEpsilon);
    }

    public void Dispose()
    {
        foreach (string file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }

    private static PrivacyOptions Privacy(double targetEpsilon) =>
        new() { SamplingRate = 0.1, NoiseMultiplier = 1, TargetEpsilon = targetEpsilon, Delta = 1e-5, Population = 1000 };

    private static PrivateStrategy Create(PrivacyOptions privacy, ICoordinatorStore store, bool clientsEvaluate) =>
        new(StrategyFactory.CreatePrivate(new StrategyOptions { Name = "fedavg" }, privacy, Model.Length, resumeClipNorm: null), privacy, store, clientsEvaluate);

    private async Task<SqliteCoordinatorStore> OpenAsync()
    {
        var store = new SqliteCoordinatorStore(_path);
        await store.CreateRunAsync(new RunRecord(Run, "{}", DateTimeOffset.UnixEpoch, "running"));
        return store;
    }
}
