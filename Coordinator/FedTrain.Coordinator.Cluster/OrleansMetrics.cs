using FedTrain.Telemetry;
using OpenTelemetry.Metrics;

namespace FedTrain.Coordinator.Cluster;

/// <summary>Puts the Orleans instruments of <see cref="KeptOrleansInstruments.Kept"/> on a node's metrics, with their help text.</summary>
internal static class OrleansMetrics
{
    private static readonly Dictionary<string, string> Help =
        KeptOrleansInstruments.Kept.ToDictionary(i => i.Name, i => i.Description, StringComparer.Ordinal);

    /// <summary>Adds the Orleans meter with only the kept instruments, described; the others are dropped.</summary>
    public static MeterProviderBuilder Add(MeterProviderBuilder metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return metrics.AddMeter(KeptOrleansInstruments.Meter).AddView(instrument => instrument.Meter.Name != KeptOrleansInstruments.Meter
            ? null
            : Help.TryGetValue(instrument.Name, out string? help) ? new MetricStreamConfiguration { Description = help } : MetricStreamConfiguration.Drop);
    }
}
