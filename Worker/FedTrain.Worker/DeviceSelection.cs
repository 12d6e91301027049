using FedTrain.Trainer;
using Microsoft.Extensions.Logging;

namespace FedTrain.Worker;

/// <summary>
/// Turns the <c>--device</c> the operator asked for into the device the worker trains on, once, at start-up:
/// <c>auto</c> takes CUDA when a CUDA device answers and the CPU otherwise; an explicit <c>cuda</c> or <c>cuda:N</c>
/// that is not usable stops the worker before it registers, rather than failing every round.
/// </summary>
public static class DeviceSelection
{
    /// <summary>A model small enough that building it on a device costs nothing but proves the device works.</summary>
    private const string ProbeSpec = "kind=cnn;in=1,4,4;classes=2;conv=1;hidden=0";

    private static readonly Action<ILogger, string, Exception?> LogFallback =
        LoggerMessage.Define<string>(LogLevel.Warning, new EventId(30, "DeviceFallback"), "{Reason}");

    /// <summary>Resolves <paramref name="requested"/> with the native trainer as the judge; a fallback is logged once.</summary>
    public static string Resolve(string requested, ILogger logger) => Resolve(requested, reason => LogFallback(logger, reason, null));

    /// <summary>Resolves <paramref name="requested"/> with the native trainer as the judge of what is usable.</summary>
    /// <param name="requested"><c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <param name="onFallback">Told, once, why <c>auto</c> fell back to the CPU.</param>
    public static string Resolve(string requested, Action<string> onFallback) => Resolve(requested, ProbeNative, onFallback);

    /// <summary>Resolves with <paramref name="probe"/>, which returns null when a device is usable and the reason otherwise.</summary>
    public static string Resolve(string requested, Func<string, string?> probe, Action<string> onFallback)
    {
        ArgumentNullException.ThrowIfNull(requested);
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(onFallback);
        string device = requested.Trim().ToLowerInvariant();
        switch (device)
        {
            case "cpu":
                return "cpu";
            case "auto":
                if (probe("cuda") is { } reason)
                {
                    onFallback($"No usable CUDA device ({reason}); training on the CPU.");
                    return "cpu";
                }

                return "cuda";
            case "cuda":
            case var _ when device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(device.AsSpan(5), out int index) && index >= 0:
                return probe(device) is { } failure
                    ? throw new ArgumentException($"--device {requested}: {failure}")
                    : device;
            default:
                throw new ArgumentException($"--device must be auto, cpu, cuda or cuda:N, got '{requested}'.");
        }
    }

    private static string? ProbeNative(string device)
    {
        try
        {
            using var trainer = NativeTrainer.Create(ProbeSpec, new TrainerOptions(device, 1, 1));
            return null;
        }
        catch (TrainerException ex) when (ex.Code == TrainerErrorCode.Device)
        {
            return ex.Message;
        }
    }
}
