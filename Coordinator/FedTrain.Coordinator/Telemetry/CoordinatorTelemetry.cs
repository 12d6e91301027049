using FedTrain.Coordinator.Grpc;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Telemetry;
using FedTrain.Telemetry.Prometheus;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FedTrain.Coordinator.Telemetry;

/// <summary>
/// The coordinator's telemetry for the lifetime of a host: its metrics, the SDK pipelines (OTLP when the
/// <c>OTEL_*</c> variables ask for it, and always the Prometheus reader behind <c>GET /metrics</c>).
/// </summary>
public sealed class CoordinatorTelemetry : IDisposable
{
    /// <summary>service.name when OTEL_SERVICE_NAME does not set one.</summary>
    public const string DefaultServiceName = "fedtrain-coordinator";

    private readonly TelemetryProviders _providers;
    private readonly CoordinatorMetrics _metrics;

    private CoordinatorTelemetry(TelemetryProviders providers, CoordinatorMetrics metrics)
    {
        _providers = providers;
        _metrics = metrics;
    }

    /// <summary>Starts the pipelines first, so that they see the instruments as the metrics create them.</summary>
    public static CoordinatorTelemetry Start(
        RoundOrchestrator orchestrator, CoordinatorGrpcService service, WorkerRegistry registry, CoordinatorOptions options)
    {
        var providers = TelemetryProviders.Start(
            FedTrainInstruments.CoordinatorMeter, DefaultServiceName, serviceInstanceId: null, TelemetrySettings.FromEnvironment(), prometheus: true);
        try
        {
            return new CoordinatorTelemetry(providers, new CoordinatorMetrics(orchestrator, service, registry, options));
        }
        catch
        {
            providers.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Maps <c>GET /metrics</c> (Prometheus text format). It is registered on its own, apart from the admin API,
    /// so that scrapers reach it without an operator token.
    /// </summary>
    public IEndpointConventionBuilder MapMetricsEndpoint(IEndpointRouteBuilder endpoints)
    {
        var reader = _providers.Prometheus ?? throw new InvalidOperationException("The Prometheus reader is not running.");
        return endpoints.MapGet("/metrics", () => Results.Text(reader.Scrape(), PrometheusTextWriter.ContentType));
    }

    public void Dispose()
    {
        // The providers flush a last collection while the instruments still exist.
        _providers.Dispose();
        _metrics.Dispose();
    }
}
