namespace FedTrain.Integration.Tests.Faults;

/// <summary>
/// Workers that die, hang or lose the network: the round goes on by deadline and quorum, late and partial
/// updates are discarded, and the worker rejoins when it comes back.
/// </summary>
[Collection(FaultRun.Collection)]
public sealed class WorkerFaultTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData("worker-download")]
    [InlineData("worker-train")]
    [InlineData("worker-upload")]
    [InlineData("worker-evaluate")]
    public async Task Worker_killed_mid_phase_is_restarted_and_the_run_completes_whole(string phase)
    {
        using var run = new FaultRun("kill-" + phase, federatedEvaluation: phase == "worker-evaluate");
        var coordinator = await run.StartCoordinatorAsync();
        run.StartWorker(0);
        var doomed = run.StartWorker(1, fault: $"{phase}:1");
        await FaultRun.WaitForInjectedCrashAsync(doomed, Generous);

        // The data owner restarts its worker; it registers again under the same id and picks up where the run is.
        var restarted = run.StartWorker(1);
        Assert.True(await run.WaitForExitAsync(coordinator, Generous) == 0, coordinator.Output);
        Assert.Contains("re-registered", coordinator.Output, StringComparison.Ordinal);
        Assert.Contains("registered for run", restarted.Output, StringComparison.Ordinal);
        if (phase == "worker-upload")
        {
            // The half-sent stream never completed, so nothing of it was accepted before the restart.
            Assert.DoesNotContain("accepted update for client worker-2 from worker-2 (", coordinator.Output.Split("re-registered")[0], StringComparison.Ordinal);
        }

        RunInvariants.Check(run);
    }

    [Fact]
    public async Task Hung_worker_is_left_behind_by_quorum_and_its_late_update_is_discarded()
    {
        using var run = new FaultRun("hang", slowTraining: true);
        var coordinator = await run.StartCoordinatorAsync();
        run.StartWorker(0);
        var hung = run.StartWorker(1);
        await hung.WaitForOutputAsync("Round 1: received model version 0", Generous);
        hung.Signal("STOP");
        try
        {
            // Silent past worker_timeout_seconds: the round closes with the one update it has (quorum 1 of 2).
            await coordinator.WaitForOutputAsync("Round 1 committed", Generous);
        }
        finally
        {
            hung.Signal("CONT");
        }

        Assert.True(await run.WaitForExitAsync(coordinator, Generous) == 0, coordinator.Output);
        var rounds = Support.RunSummary.Rounds(Support.RunSummary.Load(run.Directory));
        Assert.Equal(1, rounds[0].GetProperty("participants").GetInt32());
        Assert.Contains(rounds[0].GetProperty("failures").EnumerateArray(), f => f.GetString()!.Contains("worker-2 went silent", StringComparison.Ordinal));
        Assert.Equal(2, rounds[1].GetProperty("participants").GetInt32());
        // Woken up, it delivered its round-1 update late: refused, and the committed round 1 is unchanged.
        Assert.Matches("rejected update for client worker-2 from worker-2 \\(StaleModel\\)|Round 1 abandoned", coordinator.Output + hung.Output);
        RunInvariants.Check(run);
    }

    [Fact]
    public async Task Network_cut_longer_than_the_worker_timeout_costs_an_attempt_and_the_run_completes()
    {
        int port = FederationTests.FreePort();
        using var run = new FaultRun("netcut", workerPort: port, slowTraining: true);
        var coordinator = await run.StartCoordinatorAsync();
        await using var proxy = new Support.CuttableProxy(port, run.Port);
        var workers = new[] { run.StartWorker(0), run.StartWorker(1) };
        foreach (var worker in workers)
        {
            await worker.WaitForOutputAsync("Round 1: received model version 0", Generous);
        }

        // While both train, the link goes down for longer than worker_timeout_seconds: connections are refused,
        // heartbeats stop, the attempt loses every worker and misses its quorum.
        proxy.Cut();
        await coordinator.WaitForOutputAsync("missed its quorum", Generous);
        proxy.Restore();

        Assert.True(await run.WaitForExitAsync(coordinator, Generous) == 0, coordinator.Output);
        Assert.All(workers, FaultRun.AssertReconnected);

        Assert.Contains("Round 1 (attempt 2)", coordinator.Output, StringComparison.Ordinal);
        RunInvariants.Check(run);
    }
}
