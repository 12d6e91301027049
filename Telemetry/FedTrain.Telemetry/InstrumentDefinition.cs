namespace FedTrain.Telemetry;

/// <summary>One metric FedTrain exports: its OpenTelemetry name, unit and labels, and what it means.</summary>
/// <param name="Meter">The meter that owns it: <see cref="FedTrainInstruments.CoordinatorMeter"/>, <see cref="FedTrainInstruments.WorkerMeter"/> or <see cref="KeptOrleansInstruments.Meter"/>.</param>
/// <param name="Name">The OpenTelemetry instrument name: dotted, starting with <c>fedtrain.</c>, for FedTrain's own.</param>
/// <param name="Kind">The instrument kind.</param>
/// <param name="Unit">UCUM unit (<c>s</c>, <c>By</c>, <c>1</c> for ratios), or empty for a plain number.</param>
/// <param name="Description">What one point means; the Prometheus HELP text.</param>
/// <param name="Labels">Label keys the instrument records; each has a small, fixed set of values.</param>
public sealed record InstrumentDefinition(
    string Meter, string Name, InstrumentKind Kind, string Unit, string Description, IReadOnlyList<string> Labels)
{
    /// <summary>Histogram bucket bounds, in <see cref="Unit"/>; null for other kinds.</summary>
    public IReadOnlyList<double>? Buckets { get; init; }

    /// <summary>The name Prometheus sees (after the OpenTelemetry-to-Prometheus mapping).</summary>
    public string PrometheusName => Prometheus.PrometheusNaming.MetricName(Name, Unit, Kind == InstrumentKind.Counter);

    /// <summary>Every series name Prometheus stores for this metric (histograms have three).</summary>
    public IEnumerable<string> PrometheusSeriesNames => Kind == InstrumentKind.Histogram
        ? [PrometheusName + "_bucket", PrometheusName + "_sum", PrometheusName + "_count"]
        : [PrometheusName];
}
