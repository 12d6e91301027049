namespace FedTrain.Integration.Tests.Support;

/// <summary>
/// The peak resident set of the one worker process of a one-round demo: what a data owner's machine needs for the
/// worker: its VmHWM as the worker reports it when the run finishes, or as sampled from /proc while it runs
/// (<see cref="PeakMemory"/>), whichever is larger. Sampling alone can miss a peak reached in the last 100 ms.
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
        string log = Path.Combine(run, "logs", "worker-1.log");
        long sampled = await PeakMemory.WatchAsync(log, exited);
        Assert.True(await exited == 0, demo.Output);
        var reported = System.Text.RegularExpressions.Regex.Match(await File.ReadAllTextAsync(log), @"peak resident set was (\d+) MiB");
        Assert.True(reported.Success, "the worker did not report its peak resident set when the run finished");
        return Math.Max(sampled, long.Parse(reported.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) << 20);
    }
}
