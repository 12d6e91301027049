using System.Diagnostics;
using System.Globalization;

namespace FedTrain.Coordinator.Spool;

/// <summary>
/// Crash points for the recovery tests: <c>FEDTRAIN_FAULT=after-upload:N</c> kills the coordinator outright
/// (SIGKILL, as <c>kill -9</c> would) right after the N-th update of the run is durably kept. Unset, it does nothing.
/// </summary>
internal static class SpoolFaultInjection
{
    private const string Variable = "FEDTRAIN_FAULT";
    private const string AfterUpload = "after-upload:";

    private static readonly int KillAfterUploads = Parse(Environment.GetEnvironmentVariable(Variable));
    private static int _keptUploads;

    public static void UpdateKept()
    {
        if (KillAfterUploads > 0 && Interlocked.Increment(ref _keptUploads) == KillAfterUploads)
        {
            Console.Error.WriteLine($"{Variable}: killing the coordinator after upload {KillAfterUploads}");
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill();
        }
    }

    private static int Parse(string? value) =>
        value is not null && value.StartsWith(AfterUpload, StringComparison.Ordinal)
        && int.TryParse(value.AsSpan(AfterUpload.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count > 0
            ? count
            : 0;
}
