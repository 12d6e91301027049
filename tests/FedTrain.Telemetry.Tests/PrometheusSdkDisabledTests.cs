using System.Net;
using FedTrain.Telemetry.Prometheus;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FedTrain.Telemetry.Tests;

/// <summary>With <c>OTEL_SDK_DISABLED=true</c> the SDK's providers do nothing: the host still starts and /metrics says why it is empty.</summary>
public sealed class PrometheusSdkDisabledTests
{
    [Fact]
    public async Task A_disabled_SDK_leaves_the_host_running_and_metrics_answer_503_with_the_reason()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        // The SDK reads the variable through the host's configuration, as it does from the environment.
        builder.Configuration["OTEL_SDK_DISABLED"] = "true";
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddFedTrainPrometheus());
        await using var app = builder.Build();
        PrometheusEndpoint.MapFedTrainPrometheus(app, sdkDisabled: true);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        using var response = await http.GetAsync(new Uri(PrometheusEndpoint.Path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("OTEL_SDK_DISABLED=true", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await app.StopAsync();
    }
}
