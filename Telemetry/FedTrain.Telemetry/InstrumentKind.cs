namespace FedTrain.Telemetry;

/// <summary>The System.Diagnostics.Metrics instrument behind a metric, which decides its Prometheus type.</summary>
public enum InstrumentKind
{
    /// <summary>Monotonic sum: a Prometheus counter, exported with <c>_total</c>.</summary>
    Counter,

    /// <summary>Last value: a Prometheus gauge.</summary>
    Gauge,

    /// <summary>Explicit-bucket histogram: <c>_bucket</c>, <c>_sum</c> and <c>_count</c> series.</summary>
    Histogram,
}
