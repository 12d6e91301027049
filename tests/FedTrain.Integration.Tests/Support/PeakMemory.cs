using System.Globalization;

namespace FedTrain.Integration.Tests.Support;

/// <summary>The peak resident set (VmHWM) of the processes whose command line holds a marker, sampled from /proc while they run.</summary>
internal static class PeakMemory
{
    /// <summary>Samples every 100 ms until <paramref name="finished"/> completes; returns the largest VmHWM seen, in bytes.</summary>
    public static async Task<long> WatchAsync(string marker, Task finished)
    {
        long peak = 0;
        while (!finished.IsCompleted)
        {
            foreach (string process in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
            {
                try
                {
                    if ((await File.ReadAllTextAsync(Path.Combine(process, "cmdline"))).Contains(marker, StringComparison.Ordinal))
                    {
                        peak = Math.Max(peak, HighWaterMark(await File.ReadAllLinesAsync(Path.Combine(process, "status"))));
                    }
                }
                catch (IOException)
                {
                    // The process exited between listing and reading.
                }
                catch (UnauthorizedAccessException)
                {
                    // Another user's process.
                }
            }

            await Task.WhenAny(finished, Task.Delay(100));
        }

        return peak;
    }

    private static long HighWaterMark(string[] status)
    {
        string? line = status.FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
