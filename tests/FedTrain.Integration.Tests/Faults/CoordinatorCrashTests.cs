namespace FedTrain.Integration.Tests.Faults;

/// <summary>
/// The coordinator is killed (SIGKILL, by an armed fault, at an exact point of round 2) and restarted on the same
/// run directory and port; workers find it again by themselves and the run completes whole. Under DP the kills fall
/// between each pair of the release's steps: ledger row (release), noise and checkpoint (checkpoint), pending record
/// (pending), commit; a release whose ledger row was written counts even if the crash came before its model existed.
/// </summary>
[Collection(FaultRun.Collection)]
public sealed class CoordinatorCrashTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData("download", false, 0)]
    [InlineData("upload", false, 0)]
    [InlineData("aggregation", true, 0)]
    [InlineData("release", true, 1)]
    [InlineData("checkpoint", true, 1)]
    [InlineData("pending", true, 1)]
    [InlineData("commit", true, 0)]
    public async Task Coordinator_killed_mid_phase_resumes_and_the_run_completes_whole(string phase, bool privacy, int extraReleases)
    {
        using var run = new FaultRun("crash-" + phase, privacy);
        var first = await run.StartCoordinatorAsync(fault: $"{phase}:2");
        run.StartWorker(0);
        run.StartWorker(1);
        await FaultRun.WaitForInjectedCrashAsync(first, Generous);
        Assert.Contains("Round 1 committed", first.Output, StringComparison.Ordinal);

        string checkpoint = Path.Combine(run.Directory, "checkpoints", "round-0002.safetensors");
        if (phase == "checkpoint")
        {
            // Killed between the durable temporary file and its rename: the round's checkpoint does not exist.
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(checkpoint)!, "round-0002.safetensors.*.tmp"));
            Assert.False(File.Exists(checkpoint));
        }

        var second = await run.StartCoordinatorAsync();
        Assert.True(await run.WaitForExitAsync(second, Generous) == 0, second.Output);
        if (phase == "checkpoint")
        {
            // The next leader cleared the half-written file (RunInvariants checks no temporary file is left).
            Assert.Contains("Removed 1 half-written checkpoint files", second.Output, StringComparison.Ordinal);
        }

        Assert.Contains("Resuming run", second.Output, StringComparison.Ordinal);
        if (phase == "commit")
        {
            // Aggregated and checkpointed before the crash: finished from its checkpoint, not trained again.
            Assert.Contains("Round 2 was aggregated", second.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Round 2 (attempt", second.Output, StringComparison.Ordinal);
        }

        Assert.All(run.Workers, FaultRun.AssertReconnected);

        RunInvariants.Check(run, privacy, extraReleases);
    }
}
