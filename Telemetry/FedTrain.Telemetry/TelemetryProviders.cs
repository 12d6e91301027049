using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FedTrain.Telemetry;

/// <summary>
/// The OpenTelemetry SDK pipelines of a process without a web host (the worker): a MeterProvider with OTLP push
/// and a TracerProvider with OTLP export, each only when the <c>OTEL_*</c> variables ask for it. Dispose flushes
/// what is buffered, so a process should dispose it before it exits.
/// </summary>
public sealed class TelemetryProviders : IDisposable
{
    private readonly MeterProvider? _meters;
    private readonly TracerProvider? _tracer;

    private TelemetryProviders(MeterProvider? meters, TracerProvider? tracer)
    {
        _meters = meters;
        _tracer = tracer;
    }

    /// <summary>Whether spans are exported (the ActivitySource has a listener).</summary>
    public bool Tracing => _tracer is not null;

    /// <summary>Starts the pipelines <paramref name="settings"/> asks for.</summary>
    /// <param name="source">Meter and ActivitySource name.</param>
    /// <param name="defaultServiceName">service.name unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES sets one.</param>
    /// <param name="serviceInstanceId">service.instance.id (a worker's id); a resource attribute, never a metric label.</param>
    /// <param name="settings">Which OTLP exports are on.</param>
    public static TelemetryProviders Start(string source, string defaultServiceName, string? serviceInstanceId, TelemetrySettings settings)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentNullException.ThrowIfNull(settings);
        var meters = settings.ExportMetrics
            ? Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(r => TelemetryPipeline.ConfigureResource(r, defaultServiceName, serviceInstanceId))
                .AddFedTrainMetrics(source, settings)
                .Build()
            : null;
        // gRPC client spans (with the method and status code) only for calls made inside one of the process's own
        // spans, such as a worker's download and upload: every heartbeat and long poll would otherwise become a trace
        // of its own. No HTTP client spans below them: they would repeat the gRPC span.
        var tracer = settings.ExportTraces
            ? Sdk.CreateTracerProviderBuilder()
                .ConfigureResource(r => TelemetryPipeline.ConfigureResource(r, defaultServiceName, serviceInstanceId))
                .AddFedTrainTracing(source)
                .AddGrpcClientInstrumentation(grpc =>
                {
                    grpc.SuppressDownstreamInstrumentation = true;
                    grpc.Filter = _ => Activity.Current?.Parent?.Source.Name == source;
                })
                .Build()
            : null;
        return new TelemetryProviders(meters, tracer);
    }

    public void Dispose()
    {
        // Shutdown exports what is still buffered: the last spans of a run and a final metric collection.
        _tracer?.Dispose();
        _meters?.Dispose();
    }
}
