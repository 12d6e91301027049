using System.Globalization;
using System.Text.RegularExpressions;
using FedTrain.Coordinator.Storage;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests.Faults;

/// <summary>
/// A DP run whose coordinator is killed (SIGKILL) right after it durably kept the run's first update: the restarted
/// coordinator resumes that round with the very Poisson sample it had recorded, folds the kept update once, asks only
/// the cohort's remaining clients, and the run still spends exactly one release per committed round.
/// </summary>
[Collection(FaultRun.Collection)]
public sealed partial class PrivateRoundResumeTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Coordinator_killed_after_a_DP_update_was_kept_resumes_the_round_with_its_recorded_cohort_and_that_update()
    {
        using var run = new FaultRun("crash-dp-kept-update", privacy: true);
        var first = await run.StartCoordinatorAsync(fault: "after-upload:1");
        run.StartWorker(0);
        run.StartWorker(1);
        Assert.True(await first.WaitForExitAsync(Generous) == 137, first.Output);
        Assert.Contains("killing the coordinator after upload 1", first.Output, StringComparison.Ordinal);

        // What the crash left in the store: the round's open cohort and the one update kept for it. (The first round
        // with an upload is round 1 unless its Poisson sample happened to be empty.)
        string runId;
        SampledCohort cohort;
        IReadOnlyList<KeptUpdate> keptUpdates;
        using (var store = OpenStore(run))
        {
            runId = (await store.LoadRunAsync())!.RunId;
            long round = (await store.LoadRoundsAsync(runId)).Count + 1;
            cohort = (await store.LoadOpenCohortAsync(runId, round))!;
            Assert.NotNull(cohort);
            // Usually one; an upload whose journal record shared the first one's transaction (group commit) is kept too.
            keptUpdates = await ((IUpdateJournal)store).LoadKeptUpdatesAsync(runId, round);
            Assert.NotEmpty(keptUpdates);
            Assert.DoesNotContain(await store.LoadPrivacyReleasesAsync(runId), r => r.Round == round);
        }

        Assert.All(keptUpdates, kept => Assert.Contains(cohort.Members, m => m.ClientId == kept.ClientId));
        string r = cohort.Round.ToString(CultureInfo.InvariantCulture);

        var second = await run.StartCoordinatorAsync();
        Assert.True(await run.WaitForExitAsync(second, Generous) == 0, second.Output);
        Assert.Contains(
            $"Round {r} (attempt {cohort.Attempt}) resumes the Poisson-sampled cohort recorded before the restart", second.Output, StringComparison.Ordinal);
        Assert.Contains($"Round {r} resumes with the updates kept before the restart", second.Output, StringComparison.Ordinal);
        // Under DP the coordinator names no client in any output, so the workers' own logs tell who trained. The kept
        // client's worker lost the coordinator right after that upload, before logging the client's result, and was not
        // asked for it again; only the recorded cohort's clients trained at all.
        var trained = run.Workers.SelectMany(w => Trained().Matches(w.Output)).Where(m => m.Groups[1].Value == r).Select(m => m.Groups[2].Value).ToList();
        Assert.All(keptUpdates, kept => Assert.DoesNotContain(kept.ClientId, trained));
        Assert.All(trained, c => Assert.Contains(cohort.Members, m => m.ClientId == c));
        Assert.All(keptUpdates, kept => Assert.DoesNotContain(kept.ClientId, second.Output, StringComparison.Ordinal));

        var resumed = RunSummary.Rounds(RunSummary.Load(run.Directory))[(int)cohort.Round - 1];
        Assert.Equal(System.Text.Json.JsonValueKind.Null, resumed.GetProperty("selected").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, resumed.GetProperty("clients").ValueKind);

        Assert.All(run.Workers, FaultRun.AssertReconnected);
        // Contiguous rounds, an unbroken checkpoint chain, and ε exactly that of one release per committed round.
        RunInvariants.Check(run, privacy: true);
        using (var store = OpenStore(run))
        {
            Assert.Equal(Enumerable.Range(1, FaultRun.Rounds).Select(i => (long)i), (await store.LoadPrivacyReleasesAsync(runId)).Select(p => p.Round));
        }
    }

    /// <summary>The store the run's coordinators use, in whichever database the suite runs on.</summary>
    private static ICoordinatorStore OpenStore(FaultRun run) => TestDatabase.Open(run.Directory);

    [GeneratedRegex(@"Round (\d+), (\S+): train loss")]
    private static partial Regex Trained();
}
