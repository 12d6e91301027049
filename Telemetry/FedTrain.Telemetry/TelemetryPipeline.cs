using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FedTrain.Telemetry;

/// <summary>
/// What the coordinator's hosted pipelines and the worker's SDK pipelines share: the resource, the process's meter
/// with HTTP client and .NET runtime instrumentation, and the OTLP exporters the <c>OTEL_*</c> variables ask for.
/// </summary>
public static class TelemetryPipeline
{
    /// <summary>Sets the resource: service name and instance, SDK attributes, then the operator's variables.</summary>
    /// <param name="resource">The builder to set up; what it held before is cleared.</param>
    /// <param name="defaultServiceName">service.name unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES sets one.</param>
    /// <param name="serviceInstanceId">service.instance.id (a worker's id); a resource attribute, never a metric label.</param>
    public static ResourceBuilder ConfigureResource(ResourceBuilder resource, string defaultServiceName, string? serviceInstanceId)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentException.ThrowIfNullOrEmpty(defaultServiceName);
        // The hosting package starts from a default resource whose variables would come first; the operator's
        // variables must come last so that they override the defaults.
        return resource.Clear()
            .AddService(defaultServiceName, serviceVersion: typeof(TelemetryPipeline).Assembly.GetName().Version?.ToString(), serviceInstanceId: serviceInstanceId)
            .AddTelemetrySdk()
            .AddEnvironmentVariableDetector();
    }

    /// <summary>The process's meter, HTTP client and runtime metrics, and OTLP push when <paramref name="settings"/> asks for it.</summary>
    /// <param name="builder">The meter provider being built.</param>
    /// <param name="source">Meter name (<see cref="FedTrainInstruments.CoordinatorMeter"/> or <see cref="FedTrainInstruments.WorkerMeter"/>).</param>
    /// <param name="settings">Which OTLP exports are on.</param>
    public static MeterProviderBuilder AddFedTrainMetrics(this MeterProviderBuilder builder, string source, TelemetrySettings settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentNullException.ThrowIfNull(settings);
        builder.AddMeter(source).AddHttpClientInstrumentation().AddRuntimeInstrumentation();
        if (settings.ExportMetrics)
        {
            builder.AddOtlpExporter(otlp => OtlpSignalVariables.Apply(otlp, "METRICS", Environment.GetEnvironmentVariable));
        }

        return builder;
    }

    /// <summary>The process's ActivitySource exported over OTLP. Add it only when trace export is on: a listener
    /// makes every span cost something, so without one spans are free.</summary>
    /// <param name="builder">The tracer provider being built.</param>
    /// <param name="source">ActivitySource name.</param>
    public static TracerProviderBuilder AddFedTrainTracing(this TracerProviderBuilder builder, string source)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(source);
        return builder.AddSource(source).AddOtlpExporter(otlp => OtlpSignalVariables.Apply(otlp, "TRACES", Environment.GetEnvironmentVariable));
    }
}
