using FedTrain.Coordinator.Grpc;
using FedTrain.Coordinator.Hosting;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Telemetry;
using FedTrain.Telemetry.Prometheus;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FedTrain.Coordinator.Telemetry;

/// <summary>
/// The coordinator's telemetry for the lifetime of a host: its metrics, and the web host's OpenTelemetry
/// pipelines (<c>AddOpenTelemetry()</c>): FedTrain's meter with ASP.NET Core, HTTP client and runtime
/// instrumentation, OTLP when the <c>OTEL_*</c> variables ask for it, and always the Prometheus reader behind
/// <c>GET /metrics</c>.
/// </summary>
/// <remarks>
/// The gRPC port's calls stay out of the ASP.NET Core instrumentation, with or without DP. They have no route, so
/// their request durations would be one series mixing heartbeats with long polls and uploads; their spans are
/// <see cref="GrpcServerTracing"/>'s, children of the workers' spans, and an ASP.NET Core span per call would
/// make a trace of every heartbeat. Under DP a count of the gRPC port's requests would also count the uploads,
/// i.e. the sampled clients.
/// </remarks>
public sealed class CoordinatorTelemetry : IDisposable
{
    /// <summary>service.name when OTEL_SERVICE_NAME does not set one.</summary>
    public const string DefaultServiceName = "fedtrain-coordinator";

    /// <summary>
    /// ASP.NET Core instruments that count or hold every request, gRPC calls included, and cannot be told apart by
    /// port: in-flight requests, and route matching (a gRPC call is a failed route match).
    /// </summary>
    private static readonly string[] DroppedInstruments = ["http.server.active_requests", "aspnetcore.routing.match_attempts"];

    private readonly CoordinatorMetrics _metrics;

    private CoordinatorTelemetry(CoordinatorMetrics metrics)
    {
        _metrics = metrics;
    }

    /// <summary>Creates the metrics; the pipelines see them when the web host starts its providers.</summary>
    public static CoordinatorTelemetry Start(
        RoundOrchestrator orchestrator, CoordinatorGrpcService service, WorkerRegistry registry, ICoordinatorCluster cluster, CoordinatorOptions options) =>
        new(new CoordinatorMetrics(orchestrator, service, registry, cluster, options));

    /// <summary>Adds the OpenTelemetry pipelines to the web host's services.</summary>
    /// <param name="services">The web host's services.</param>
    /// <param name="isGrpcCall">Whether a request arrived on the gRPC port; the ASP.NET Core instrumentation leaves those out.</param>
    /// <param name="settings">Which OTLP exports are on.</param>
    /// <param name="cluster">The cluster the node runs in: its runtime's meters join the node's own.</param>
    public static void AddPipelines(IServiceCollection services, Func<HttpContext, bool> isGrpcCall, TelemetrySettings settings, ICoordinatorCluster cluster)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(cluster);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => TelemetryPipeline.ConfigureResource(r, DefaultServiceName, serviceInstanceId: null))
            .WithMetrics(metrics =>
            {
                metrics.AddFedTrainMetrics(FedTrainInstruments.CoordinatorMeter, settings)
                    .AddAspNetCoreInstrumentation()
                    .AddFedTrainPrometheus();
                cluster.AddMeters(metrics);
                foreach (string instrument in DroppedInstruments)
                {
                    metrics.AddView(instrument, MetricStreamConfiguration.Drop);
                }
            });
        if (settings.ExportTraces)
        {
            telemetry.WithTracing(tracing => tracing.AddFedTrainTracing(FedTrainInstruments.CoordinatorMeter)
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = http => !isGrpcCall(http))
                .AddHttpClientInstrumentation());
        }
    }

    /// <summary>
    /// First in the pipeline: turns ASP.NET Core's request metrics off for the gRPC port's calls (see the remarks).
    /// </summary>
    public static void ExcludeFromRequestMetrics(IApplicationBuilder app, Func<HttpContext, bool> isGrpcCall)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(next => context =>
        {
            if (isGrpcCall(context) && context.Features.Get<IHttpMetricsTagsFeature>() is { } metrics)
            {
                metrics.MetricsDisabled = true;
            }

            return next(context);
        });
    }

    /// <summary>
    /// Maps <c>GET /metrics</c> (Prometheus text format, from the exporter package). It is registered on its own,
    /// apart from the admin API, so that scrapers reach it without an operator token.
    /// </summary>
    public static IEndpointConventionBuilder MapMetricsEndpoint(IEndpointRouteBuilder endpoints) => endpoints.MapFedTrainPrometheus();

    public void Dispose() => _metrics.Dispose();
}
