using System.Diagnostics;
using System.Globalization;

namespace FedTrain.Core.Faults;

/// <summary>
/// A test-only crash switch. With <c>FEDTRAIN_FAULT=phase:round</c> in its environment, a process kills itself
/// (SIGKILL, no cleanup) the first time it reaches that phase of that round, so fault-injection tests can crash
/// it at an exact point instead of racing a timer. Without the variable every call is a no-op.
/// </summary>
public static class FaultInjection
{
    /// <summary>The environment variable that arms a fault.</summary>
    public const string Variable = "FEDTRAIN_FAULT";

    private static readonly (string Phase, long Round)? Armed = Parse(Environment.GetEnvironmentVariable(Variable));

    /// <summary>Kills this process if the armed fault is <paramref name="phase"/> in <paramref name="round"/>.</summary>
    public static void Reached(string phase, long round)
    {
        if (Armed is { } fault && fault.Round == round && string.Equals(fault.Phase, phase, StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"fault injected: {phase} of round {round}; killing process {Environment.ProcessId}");
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill();
            Thread.Sleep(Timeout.Infinite);
        }
    }

    /// <summary>Parses <c>phase:round</c>; null when unset.</summary>
    /// <exception cref="ArgumentException">The value is set but malformed.</exception>
    public static (string Phase, long Round)? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        int colon = value.LastIndexOf(':');
        if (colon <= 0 || !long.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long round) || round <= 0)
        {
            throw new ArgumentException($"{Variable} must be PHASE:ROUND (e.g. upload:2), got '{value}'.");
        }

        return (value[..colon], round);
    }
}
