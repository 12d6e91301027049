namespace FedTrain.Integration.Tests.Support;

/// <summary>
/// The peak resident set of the one worker process of a one-round demo: what a data owner's machine needs for the
/// worker, measured from /proc while it runs (<see cref="PeakMemory"/>).
/// </summary>
internal static class WorkerPeakMemory
{
    /// <summary>Runs <c>fedtrain demo --workers 1 --rounds 1</c> with <paramref name="arguments"/>; returns the worker's peak RSS in bytes.</summary>
    public static Task<long> MeasureAsync(string name, params string[] arguments) => MeasureAsync(name, [], arguments);

    /// <summary>As <see cref="MeasureAsync(string, string[])"/>, with <paramref name="environment"/> (NAME=VALUE) set for the demo and its worker.</summary>
    public static async Task<long> MeasureAsync(string name, string[] environment, string[] arguments)
    {
        string run = RepoPaths.NewRunDirectory("peak-" + name);
        using var demo = CliProcess.Start(environment, ["demo", "--workers", "1", "--rounds", "1", "--out", run, .. arguments]);
        var exited = demo.WaitForExitAsync(TimeSpan.FromMinutes(3));
        // The worker's command line names its log file inside this run's folder.
        long peak = await PeakMemory.WatchAsync(Path.Combine(run, "logs", "worker-1.log"), exited);
        Assert.True(await exited == 0, demo.Output);
        Assert.True(peak > 0, "the worker process was never seen");
        return peak;
    }
}
