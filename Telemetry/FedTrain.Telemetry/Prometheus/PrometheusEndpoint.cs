using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace FedTrain.Telemetry.Prometheus;

/// <summary>The Prometheus exporter package's reader and scraping endpoint, as FedTrain sets them up.</summary>
public static class PrometheusEndpoint
{
    /// <summary>The scrape path.</summary>
    public const string Path = "/metrics";

    /// <summary>Adds the package's pull reader to a meter provider.</summary>
    public static MeterProviderBuilder AddFedTrainPrometheus(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddPrometheusExporter(Configure);
    }

    /// <summary>
    /// Maps <c>GET /metrics</c>: the package's endpoint behind <see cref="PrometheusRatioSuffix"/>. It is mapped on
    /// its own, apart from any API, so that an authentication rule can tell it apart by path.
    /// </summary>
    public static IEndpointConventionBuilder MapFedTrainPrometheus(this IEndpointRouteBuilder endpoints) =>
        MapFedTrainPrometheus(endpoints, TelemetrySettings.SdkDisabled(Environment.GetEnvironmentVariable));

    /// <summary>Maps <c>GET /metrics</c>; <paramref name="sdkDisabled"/> says whether OTEL_SDK_DISABLED turned the SDK off.</summary>
    internal static IEndpointConventionBuilder MapFedTrainPrometheus(IEndpointRouteBuilder endpoints, bool sdkDisabled)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (sdkDisabled)
        {
            // The SDK's providers are no-ops then: the package's endpoint would answer an empty 200, which a scraper
            // reads as a coordinator without metrics. Say why instead.
            return endpoints.MapGet(Path, () => Results.Text("Metrics are off: OTEL_SDK_DISABLED=true turns the OpenTelemetry SDK off.\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        }

        return endpoints.MapPrometheusScrapingEndpoint(
            Path,
            meterProvider: null,
            configureBranchedPipeline: branch => branch.Use(next => context => PrometheusRatioSuffix.InvokeAsync(context, next)),
            optionsName: null);
    }

    private static void Configure(PrometheusAspNetCoreOptions options)
    {
        // Every scrape collects afresh: a cached answer would show a round that has already moved on.
        options.ScrapeResponseCacheDurationMilliseconds = 0;
    }
}
