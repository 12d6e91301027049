using FedTrain.Coordinator.Evaluation;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Security;
using FedTrain.Coordinator.Storage;
using FedTrain.Core.Fairness;
using FedTrain.TestSupport;

namespace FedTrain.Coordinator.Tests.Storage;

/// <summary>
/// What every <see cref="ICoordinatorStore"/> must do, written once and run against each database by a subclass.
/// <see cref="Open"/> opens a new store on the same database each time, so reopening proves durability.
/// </summary>
public abstract class CoordinatorStoreContract
{
    protected abstract ICoordinatorStore Open();

    protected static RoundResult Round(long round, double loss) => new(
        round, round, 0.5, loss, 2,
        [new ParticipantResult("c1", "w1", 10, 40) { TrainLoss = double.PositiveInfinity, HoldoutAccuracy = 0.75, RecordEpsilon = 1.5 }],
        ["c2: went silent"], 1.5, 40, [0.5, double.NaN], $"/runs/x/round-{round}.safetensors", DateTimeOffset.UnixEpoch.AddHours(round))
    {
        ClientEvaluations = [new ClientEvaluationResult("c1", "w1", 0.8, 0.4, 12)],
        Fairness = FairnessMetrics.Compute([0.8, 0.6]),
        SkipReason = round == 2 ? "cohort too small" : null,
        Epsilon = 0.25 * round,
        ClipNorm = 1.0,
    };

    private static PendingRound Pending(long round, int attempt) => new(
        round, attempt, 3, [new ParticipantResult("c1", "w1", 10, 40) { TrainLoss = 0.3 }], ["c3: no update before the deadline"], 2.5, 40,
        $"/runs/x/round-{round}.safetensors")
    {
        Epsilon = 0.7,
        ClipNorm = 0.9,
    };

    [BackendFact]
    public async Task A_fresh_store_is_at_the_latest_schema_and_holds_no_run()
    {
        using var store = Open();
        Assert.Equal(CoordinatorSchema.LatestVersion, store.SchemaVersion);
        Assert.Null(await store.LoadRunAsync());
        Assert.Empty(await store.LoadWorkersAsync());
    }

    [BackendFact]
    public async Task A_coordinator_whose_lease_was_taken_over_can_write_none_of_the_runs_state()
    {
        using var stale = Open();
        using var successor = Open();
        Assert.Equal(1, await stale.TakeLeaseAsync("first"));
        await stale.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
        await stale.CommitRoundAsync("run-1", Round(1, 0.7));
        Assert.Equal(2, await successor.TakeLeaseAsync("second"));

        // Every write of the run's state from the stale handle is refused, names who holds the run, and changes nothing.
        var fenced = new Func<Task>[]
        {
            () => stale.CheckLeaseAsync(),
            () => stale.CommitRoundAsync("run-1", Round(2, 0.6)),
            () => stale.RecordPrivacyReleaseAsync("run-1", new PrivacyRelease(2, 1, 0.1, 1.1, 1.0, 1.0)),
            () => stale.SavePendingRoundAsync("run-1", Pending(2, 1), null),
            () => stale.SaveCohortAsync("run-1", new SampledCohort(2, 1, 1, [new CohortMember("c1", "w1", 10)])),
            () => stale.CloseCohortsAsync("run-1", 2, 1, PoissonCohorts.Committed),
            () => stale.SaveQuarantineAsync("run-1", [new QuarantineEntry("w1", 1, null, null, null)]),
            () => stale.FinishRunAsync("run-1", "finished"),
        };
        foreach (var write in fenced)
        {
            var error = await Assert.ThrowsAsync<RunFencedException>(write);
            Assert.Equal((1L, 2L), (error.HeldEpoch, error.CurrentEpoch));
            Assert.Contains("second", error.Message, StringComparison.Ordinal);
        }

        await Assert.ThrowsAsync<RunFencedException>(() => ((IUpdateJournal)stale).RecordKeptUpdatesAsync([("run-1", new KeptUpdate(2, 1, "c1", "w1", 10, "f"))]));
        Assert.Equal([1L], (await successor.LoadRoundsAsync("run-1")).Select(r => r.Round));
        Assert.Empty(await successor.LoadPrivacyReleasesAsync("run-1"));
        Assert.Null(await successor.LoadPendingRoundAsync("run-1"));
        Assert.Null(await successor.LoadOpenCohortAsync("run-1", 2));
        Assert.Empty(await successor.LoadQuarantineAsync("run-1"));
        Assert.Equal("running", (await successor.LoadRunAsync())!.Status);

        // The successor writes as before, and a later takeover fences it in turn.
        await successor.CommitRoundAsync("run-1", Round(2, 0.6));
        Assert.Equal([1L, 2L], (await successor.LoadRoundsAsync("run-1")).Select(r => r.Round));
        using var third = Open();
        Assert.Equal(3, await third.TakeLeaseAsync("third"));
        await Assert.ThrowsAsync<RunFencedException>(() => successor.FinishRunAsync("run-1", "finished"));
    }

    [BackendFact]
    public async Task Runs_are_created_finished_and_read_back_after_reopening()
    {
        using (var store = Open())
        {
            await store.CreateRunAsync(new RunRecord("run-1", """{"rounds":3}""", DateTimeOffset.UnixEpoch, "running"));
            await store.FinishRunAsync("run-1", "finished");
        }

        using var reopened = Open();
        var run = (await reopened.LoadRunAsync())!;
        Assert.Equal(("run-1", """{"rounds":3}""", DateTimeOffset.UnixEpoch, "finished"), (run.RunId, run.ConfigJson, run.CreatedAt, run.Status));
    }

    [BackendFact]
    public async Task Committed_rounds_round_trip_with_a_diverged_models_figures()
    {
        using (var store = Open())
        {
            await store.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
            await store.CommitRoundAsync("run-1", Round(1, 0.7));
            await store.CommitRoundAsync("run-1", Round(2, double.NaN));
        }

        using var reopened = Open();
        var rounds = await reopened.LoadRoundsAsync("run-1");
        Assert.Equal([1L, 2L], rounds.Select(r => r.Round));
        Assert.Equal(0.7, rounds[0].TestLoss);
        Assert.True(double.IsNaN(rounds[1].TestLoss));
        Assert.Equal(0.5, rounds[1].PerClassAccuracy[0]);
        Assert.True(double.IsNaN(rounds[1].PerClassAccuracy[1]));
        var participant = Assert.Single(rounds[1].Participants);
        Assert.Equal(("c1", "w1", 10L, 40L), (participant.ClientId, participant.WorkerId, participant.ExampleCount, participant.UpdateBytes));
        Assert.Null(participant.TrainLoss);
        Assert.Equal(0.75, participant.HoldoutAccuracy);
        Assert.Equal(1.5, participant.RecordEpsilon);
        Assert.Equal(["c2: went silent"], rounds[1].Failures);
        Assert.Equal(0.8, Assert.Single(rounds[1].ClientEvaluations).Accuracy);
        Assert.Equal(FairnessMetrics.Compute([0.8, 0.6]), rounds[1].Fairness);
        Assert.Equal(("cohort too small", 0.5, 1.0), (rounds[1].SkipReason, rounds[1].Epsilon, rounds[1].ClipNorm));
        Assert.Null(rounds[0].SkipReason);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddHours(2), rounds[1].CommittedAt);
        Assert.Equal("/runs/x/round-2.safetensors", rounds[1].CheckpointPath);
    }

    [BackendFact]
    public async Task Committing_a_round_twice_is_refused_and_leaves_the_first_commit_whole()
    {
        using var store = Open();
        await store.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
        await store.CommitRoundAsync("run-1", Round(1, 0.7));
        var again = Round(1, 0.1) with { Participants = [new ParticipantResult("c9", "w9", 1, 4)] };
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.CommitRoundAsync("run-1", again));
        var round = Assert.Single(await store.LoadRoundsAsync("run-1"));
        Assert.Equal(0.7, round.TestLoss);
        Assert.Equal("c1", Assert.Single(round.Participants).ClientId);
    }

    [BackendFact]
    public async Task Privacy_releases_are_kept_in_order_per_run()
    {
        using (var store = Open())
        {
            await store.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
            long first = await store.RecordPrivacyReleaseAsync("run-1", new PrivacyRelease(1, 1, 0.05, 1.1, 0.5, 0.6));
            long second = await store.RecordPrivacyReleaseAsync("run-1", new PrivacyRelease(1, 2, 0.05, 1.2, 0.6, 0.65));
            long histogram = await store.RecordPrivacyReleaseAsync("run-1", new PrivacyRelease(1, 2, 0.05, 4, 1, 1) { Mechanism = PrivacyRelease.FairnessHistogram });
            await store.RecordPrivacyReleaseAsync("run-other", new PrivacyRelease(1, 1, 0.5, 9, 9, 9));
            Assert.True(first < second && second < histogram);
        }

        using var reopened = Open();
        var releases = await reopened.LoadPrivacyReleasesAsync("run-1");
        Assert.Equal([(1L, 1, 1.1, 0.6), (1L, 2, 1.2, 0.65), (1L, 2, 4, 1)], releases.Select(r => (r.Round, r.Attempt, r.NoiseMultiplier, r.NextClipNorm)));
        Assert.Equal([PrivacyRelease.Model, PrivacyRelease.Model, PrivacyRelease.FairnessHistogram], releases.Select(r => r.Mechanism));
        Assert.Equal(0.05, releases[0].SamplingRate);
        Assert.Equal(0.5, releases[0].ClipNorm);
    }

    [BackendFact]
    public async Task A_pending_round_and_its_release_are_saved_together_and_cleared_by_the_commit()
    {
        using (var store = Open())
        {
            await store.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
            await store.CommitRoundAsync("run-1", Round(1, 0.7));
            Assert.Null(await store.LoadPendingRoundAsync("run-1"));
            // The release was recorded before its noise, handing on its own clip until the pending round completes it.
            long release = await store.RecordPrivacyReleaseAsync("run-1", new PrivacyRelease(2, 1, 0.1, 1.3, 0.9, 0.9));
            await store.SavePendingRoundAsync("run-1", Pending(2, 1), new ReleaseCompletion(release, 0.95));
            // A later attempt of the same round replaces the earlier record.
            await store.SavePendingRoundAsync("run-1", Pending(2, 2), null);
        }

        using (var reopened = Open())
        {
            var pending = (await reopened.LoadPendingRoundAsync("run-1"))!;
            Assert.Equal((2L, 2, 3, 2.5, 40L, 0.7, 0.9), (pending.Round, pending.Attempt, pending.Selected, pending.DurationSeconds, pending.UpdateBytes, pending.Epsilon, pending.ClipNorm));
            Assert.Equal(0.3, Assert.Single(pending.Participants).TrainLoss);
            Assert.Equal(["c3: no update before the deadline"], pending.Failures);
            Assert.Equal("/runs/x/round-2.safetensors", pending.CheckpointPath);
            Assert.Null(pending.SkipReason);
            var recorded = Assert.Single(await reopened.LoadPrivacyReleasesAsync("run-1"));
            Assert.Equal((1.3, 0.95), (recorded.NoiseMultiplier, recorded.NextClipNorm));
            await reopened.CommitRoundAsync("run-1", Round(2, 0.5));
        }

        using var afterCommit = Open();
        Assert.Null(await afterCommit.LoadPendingRoundAsync("run-1"));
        Assert.Equal(2, (await afterCommit.LoadRoundsAsync("run-1")).Count);
    }

    [BackendFact]
    public async Task Workers_are_upserted_and_read_back_with_their_clients()
    {
        using (var store = Open())
        {
            await store.UpsertWorkerAsync(new WorkerInfo("w2", [new ClientInfo("c2", "w2", 5, [2, 3])], "cpu"), DateTimeOffset.UnixEpoch);
            await store.UpsertWorkerAsync(new WorkerInfo("w1", [new ClientInfo("c1", "w1", 10, [10])], "cpu"), DateTimeOffset.UnixEpoch);
            await store.UpsertWorkerAsync(new WorkerInfo("w1", [new ClientInfo("c1", "w1", 12, [12]), new ClientInfo("c3", "w1", 1, [1])], "cuda"), DateTimeOffset.UnixEpoch);
        }

        using var reopened = Open();
        var workers = await reopened.LoadWorkersAsync();
        Assert.Equal(["w1", "w2"], workers.Select(w => w.WorkerId));
        Assert.Equal("cuda", workers[0].Device);
        Assert.Equal(["c1", "c3"], workers[0].Clients.Select(c => c.ClientId));
        Assert.Equal(13, workers[0].ExampleCount);
        Assert.Equal([2L, 3L], workers[1].Clients[0].LabelHistogram);
    }

    [BackendFact]
    public async Task Client_grants_are_kept_with_enrollments_and_credentials_after_reopening()
    {
        var created = DateTimeOffset.UnixEpoch;
        using (var store = Open())
        {
            var credentials = (ICredentialStore)store;
            await credentials.AddEnrollmentAsync(new EnrollmentRecord("e-own", "w1", [1], created, created.AddHours(1), null, null));
            await credentials.AddEnrollmentAsync(new EnrollmentRecord(
                "e-list", "w2", [2], created, created.AddHours(1), null, null, ClientGrant.Explicit(["client-00001", "client-00003"])));
            await credentials.AddCredentialAsync(new CredentialRecord("c-prefix", "w3", "run-1", [3], created, null, ClientGrant.WithPrefix("w3-", 40)));
            await credentials.AddCredentialAsync(new CredentialRecord("c-own", "w4", "run-1", [4], created, null));
        }

        using var reopened = Open();
        var stored = (ICredentialStore)reopened;
        // No grant stored: the worker's own id, as for every row written before grants existed.
        Assert.Null((await stored.FindEnrollmentAsync("e-own"))!.Clients);
        Assert.Equal(["w1"], (await stored.FindEnrollmentAsync("e-own"))!.Grant.ClientIds);
        var list = (await stored.FindEnrollmentAsync("e-list"))!.Grant;
        Assert.Equal(["client-00001", "client-00003"], list.ClientIds);
        Assert.Equal((null, 2), (list.Prefix, list.Count));
        var prefix = (await stored.FindCredentialAsync("c-prefix"))!.Grant;
        Assert.Equal(("w3-", 40), (prefix.Prefix, prefix.Count));
        Assert.Empty(prefix.ClientIds);
        Assert.True(prefix.Permits("w3-7"));
        Assert.False(prefix.Permits("w4"));
        Assert.Equal(1, (await stored.FindCredentialAsync("c-own"))!.Grant.Count);
        Assert.Equal(["c-own", "c-prefix"], (await stored.ListCredentialsAsync()).Select(c => c.CredentialId).Order(StringComparer.Ordinal));
    }

    [BackendFact]
    public async Task Quarantine_state_is_replaced_as_a_whole_and_read_back_per_run_after_reopening()
    {
        using (var store = Open())
        {
            await store.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
            await store.CreateRunAsync(new RunRecord("run-2", "{}", DateTimeOffset.UnixEpoch, "running"));
            Assert.Empty(await store.LoadQuarantineAsync("run-1"));
            await store.SaveQuarantineAsync("run-1", [new QuarantineEntry("w9", 1, null, null, "round 1: c9: went silent")]);
            // The next save is the whole state: w9 delivered since and is gone from it.
            await store.SaveQuarantineAsync("run-1",
            [
                new QuarantineEntry("w2", 2, null, null, "round 4: c2: no update before the deadline"),
                new QuarantineEntry("w1", 0, 5, 7, "round 4: c1: worker w1 went silent (no heartbeat)"),
                new QuarantineEntry("w3", 1, 2, 3, null),
            ]);
            await store.SaveQuarantineAsync("run-2", [new QuarantineEntry("w1", 1, null, null, null)]);
        }

        using var reopened = Open();
        Assert.Equal(
            [
                new QuarantineEntry("w1", 0, 5, 7, "round 4: c1: worker w1 went silent (no heartbeat)"),
                new QuarantineEntry("w2", 2, null, null, "round 4: c2: no update before the deadline"),
                new QuarantineEntry("w3", 1, 2, 3, null),
            ],
            await reopened.LoadQuarantineAsync("run-1"));
        Assert.Equal([new QuarantineEntry("w1", 1, null, null, null)], await reopened.LoadQuarantineAsync("run-2"));
        await reopened.SaveQuarantineAsync("run-1", []);
        Assert.Empty(await reopened.LoadQuarantineAsync("run-1"));
    }

    [BackendFact]
    public async Task A_sampled_cohort_stays_open_across_reopening_until_its_attempt_is_closed()
    {
        CohortMember[] members = [new("c1", "w1", 10), new("c4", "w2", 7)];
        using (var store = Open())
        {
            await store.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
            await store.SaveCohortAsync("run-1", new SampledCohort(1, 1, 0, [new("c2", "w2", 3)]));
            await store.CloseCohortsAsync("run-1", 1, 1, "committed");
            await store.SaveCohortAsync("run-1", new SampledCohort(2, 1, 1, [new("c3", "w1", 5)]));
            await store.CloseCohortsAsync("run-1", 2, 1, "quorum_missed");
            await store.SaveCohortAsync("run-1", new SampledCohort(2, 2, 1, members));
            // An empty Poisson sample is a cohort too.
            await store.SaveCohortAsync("run-1", new SampledCohort(3, 1, 2, []));
        }

        using var reopened = Open();
        Assert.Null(await reopened.LoadOpenCohortAsync("run-1", 1));
        var open = (await reopened.LoadOpenCohortAsync("run-1", 2))!;
        Assert.Equal((2L, 2, 1L), (open.Round, open.Attempt, open.ModelVersion));
        Assert.Equal(members, open.Members);
        Assert.Empty((await reopened.LoadOpenCohortAsync("run-1", 3))!.Members);
        Assert.Null(await reopened.LoadOpenCohortAsync("run-other", 2));

        // A second cohort for the same attempt is refused and leaves the first as it was.
        await Assert.ThrowsAsync<InvalidOperationException>(() => reopened.SaveCohortAsync("run-1", new SampledCohort(2, 2, 1, [new("c9", "w9", 1)])));
        Assert.Equal(members, (await reopened.LoadOpenCohortAsync("run-1", 2))!.Members);

        await reopened.CloseCohortsAsync("run-1", 2, 2, "committed");
        Assert.Null(await reopened.LoadOpenCohortAsync("run-1", 2));
    }

    [BackendFact]
    public async Task Concurrent_writers_do_not_interfere()
    {
        using var store = Open();
        await store.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
        // gRPC handlers register workers while the round loop records releases.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            for (int j = 0; j < 10; j++)
            {
                await store.UpsertWorkerAsync(new WorkerInfo($"w{i}", [new ClientInfo($"c{i}", $"w{i}", j + 1, [j + 1])], "cpu"), DateTimeOffset.UnixEpoch);
                await store.RecordPrivacyReleaseAsync("run-1", new PrivacyRelease((i * 10) + j, 1, 0.1, 1, 1, 1));
            }
        })));
        Assert.Equal(8, (await store.LoadWorkersAsync()).Count);
        Assert.All(await store.LoadWorkersAsync(), w => Assert.Equal(10, w.ExampleCount));
        Assert.Equal(80, (await store.LoadPrivacyReleasesAsync("run-1")).Count);
    }
}
