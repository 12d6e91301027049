using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests.Faults;

/// <summary>
/// A worker quarantined before the coordinator is killed (SIGKILL) is still quarantined by the restarted one: the
/// state comes back from the store, so a crash does not let a failing worker straight back into the cohort.
/// </summary>
[Collection(FaultRun.Collection)]
public sealed class QuarantineRestartTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_worker_quarantined_before_a_coordinator_crash_stays_out_after_the_restart()
    {
        using var run = new FaultRun("crash-quarantine", quarantineAfterFailures: 1);
        var first = await run.StartCoordinatorAsync(fault: "download:2");
        run.StartWorker(0);
        var doomed = run.StartWorker(1, fault: "worker-train:1");
        await FaultRun.WaitForInjectedCrashAsync(doomed, Generous);

        // Worker 2 died training round 1: once the round has closed without it, it is quarantined. Its owner then
        // restarts it, healthy, but it sits out round 2, in which the coordinator is killed.
        await first.WaitForOutputAsync("Round 1 committed", Generous);
        Assert.Contains($"Worker worker-2 failed 1 assignments in a row; quarantined for rounds 2 to {1 + FaultRun.QuarantineRounds}", first.Output, StringComparison.Ordinal);
        var restarted = run.StartWorker(1);
        await FaultRun.WaitForInjectedCrashAsync(first, Generous);

        var second = await run.StartCoordinatorAsync();
        Assert.True(await run.WaitForExitAsync(second, Generous) == 0, second.Output);
        Assert.Contains("Quarantine restored from the store: 1 workers with a quarantine on record", second.Output, StringComparison.Ordinal);
        Assert.Contains("registered for run", restarted.Output, StringComparison.Ordinal);

        // Round 2, run by the restarted coordinator, left the live worker 2 out: only worker 1's client was selected.
        var round2 = RunSummary.Rounds(RunSummary.Load(run.Directory))[1];
        Assert.Equal(1, round2.GetProperty("selected").GetInt32());
        Assert.All(round2.GetProperty("clients").EnumerateArray(), c => Assert.Equal("worker-1", c.GetProperty("worker_id").GetString()));
        Assert.DoesNotContain("Round 2: accepted update for client worker-2", second.Output, StringComparison.Ordinal);
        RunInvariants.Check(run);
    }
}
