using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using FedTrain.Telemetry.Prometheus;

namespace FedTrain.Telemetry;

/// <summary>
/// The OpenTelemetry SDK pipelines of one process, built by hand (no hosting package): a MeterProvider for the
/// process's meter with OTLP push and/or a Prometheus scrape reader, and a TracerProvider with OTLP export.
/// Dispose flushes what is buffered, so a process should dispose it before it exits.
/// </summary>
public sealed class TelemetryProviders : IDisposable
{
    private readonly MeterProvider? _meters;
    private readonly TracerProvider? _tracer;

    private TelemetryProviders(MeterProvider? meters, TracerProvider? tracer, PrometheusScrapeReader? prometheus)
    {
        _meters = meters;
        _tracer = tracer;
        Prometheus = prometheus;
    }

    /// <summary>The scrape reader behind <c>/metrics</c>; null when not asked for.</summary>
    public PrometheusScrapeReader? Prometheus { get; }

    /// <summary>Whether spans are exported (the ActivitySource has a listener).</summary>
    public bool Tracing => _tracer is not null;

    /// <summary>Starts the pipelines <paramref name="settings"/> asks for.</summary>
    /// <param name="source">Meter and ActivitySource name (<see cref="FedTrainInstruments.CoordinatorMeter"/> or <see cref="FedTrainInstruments.WorkerMeter"/>).</param>
    /// <param name="defaultServiceName">service.name unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES sets one.</param>
    /// <param name="serviceInstanceId">service.instance.id (a worker's id); a resource attribute, never a metric label.</param>
    /// <param name="settings">Which OTLP exports are on.</param>
    /// <param name="prometheus">Also keep a Prometheus scrape reader.</param>
    public static TelemetryProviders Start(
        string source, string defaultServiceName, string? serviceInstanceId, TelemetrySettings settings, bool prometheus)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentNullException.ThrowIfNull(settings);
        // Variables set by the operator come last, so they override the defaults.
        var resource = ResourceBuilder.CreateEmpty()
            .AddService(defaultServiceName, serviceVersion: typeof(TelemetryProviders).Assembly.GetName().Version?.ToString(), serviceInstanceId: serviceInstanceId)
            .AddTelemetrySdk()
            .AddEnvironmentVariableDetector();

        PrometheusScrapeReader? scrape = prometheus ? new PrometheusScrapeReader() : null;
        MeterProvider? meters = null;
        if (settings.ExportMetrics || scrape is not null)
        {
            var builder = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(source);
            if (scrape is not null)
            {
                builder.AddReader(scrape);
            }

            if (settings.ExportMetrics)
            {
                builder.AddOtlpExporter(otlp => OtlpSignalVariables.Apply(otlp, "METRICS", Environment.GetEnvironmentVariable));
            }

            meters = builder.Build();
        }

        var tracer = settings.ExportTraces
            ? Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(source)
                .AddOtlpExporter(otlp => OtlpSignalVariables.Apply(otlp, "TRACES", Environment.GetEnvironmentVariable)).Build()
            : null;
        return new TelemetryProviders(meters, tracer, scrape);
    }

    public void Dispose()
    {
        // Shutdown exports what is still buffered: the last spans of a run and a final metric collection.
        _tracer?.Dispose();
        _meters?.Dispose();
    }
}
