using FedTrain.Core.Checkpoints;

namespace FedTrain.Integration.Tests.Faults;

/// <summary>
/// A coordinator running FedAdam is killed in round 2 and restarted: the optimizer's moments and step count come back
/// from the state saved with the last round it stepped, so round 2's step is the optimizer's second, as in a run that
/// was never interrupted (with fresh state it would be its first). Only the last round's state file is kept.
/// </summary>
[Collection(FaultRun.Collection)]
public sealed class ServerOptimizerResumeTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(5);

    [Theory]
    // Killed while workers download round 2: round 2 runs again from round 1's model and state.
    [InlineData("download", 1L)]
    // Killed after round 2 was aggregated and checkpointed: it is finished from its checkpoint and its own state.
    [InlineData("commit", 2L)]
    public async Task The_server_optimizers_state_survives_a_coordinator_crash(string phase, long restoredFrom)
    {
        using var run = new FaultRun("optimizer-" + phase, strategy: "fedadam");
        var first = await run.StartCoordinatorAsync(fault: $"{phase}:2");
        run.StartWorker(0);
        run.StartWorker(1);
        await FaultRun.WaitForInjectedCrashAsync(first, Generous);
        string checkpoints = Path.Combine(run.Directory, "checkpoints");
        Assert.Equal("1", SafetensorsFile.ReadMetadata(StateFile(checkpoints, 1))["step_count"]);

        var second = await run.StartCoordinatorAsync();
        Assert.True(await run.WaitForExitAsync(second, Generous) == 0, second.Output);

        Assert.Contains($"Restored the server optimizer's state (FedAdam) saved with round {restoredFrom}: step {restoredFrom}", second.Output, StringComparison.Ordinal);
        var last = SafetensorsFile.ReadMetadata(StateFile(checkpoints, FaultRun.Rounds));
        Assert.Equal(("2", "2", "FedAdam"), (last["round"], last["step_count"], last["server_optimizer"]));
        Assert.Equal([StateFile(checkpoints, FaultRun.Rounds)], Directory.GetFiles(checkpoints, "*.server-optimizer.safetensors"));
        RunInvariants.Check(run, privacy: false, extraReleases: 0);
    }

    private static string StateFile(string checkpoints, long round) => Path.Combine(checkpoints, $"round-{round:D4}.server-optimizer.safetensors");
}
