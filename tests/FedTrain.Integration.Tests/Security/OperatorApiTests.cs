using System.Net;
using System.Net.Http.Headers;

namespace FedTrain.Integration.Tests.Security;

/// <summary>The HTTP port: the status API needs the operator token, health stays open, /metrics is open unless configured.</summary>
public sealed class OperatorApiTests
{
    [Fact]
    public async Task Status_needs_the_operator_token_and_health_and_metrics_stay_open()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("operator");
        string token = (await File.ReadAllTextAsync(coordinator.Host.OperatorTokenPath!)).Trim();
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(coordinator.Host.OperatorTokenPath!));
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{coordinator.Host.HttpPort}") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri("/api/status", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, "/api/status", "Bearer " + token + "x")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri("/anything-else", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, "/api/status", "Bearer " + token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        // Open by default: whatever serves /metrics answers, not the token check.
        Assert.NotEqual(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
        Assert.Contains(coordinator.Logs.Lines, l => l.Contains("no valid operator token", StringComparison.Ordinal));
        Assert.DoesNotContain(token, coordinator.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_can_be_made_to_require_the_token()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("operator-metrics", o => o.Security.Auth.MetricsRequireToken = true);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{coordinator.Host.HttpPort}") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Every_answer_of_the_HTTP_port_carries_the_security_headers()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("operator-headers");
        string token = (await File.ReadAllTextAsync(coordinator.Host.OperatorTokenPath!)).Trim();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{coordinator.Host.HttpPort}") };

        foreach (var response in new[]
        {
            await http.GetAsync(new Uri("/", UriKind.Relative)),
            await http.GetAsync(new Uri("/assets/app.js", UriKind.Relative)),
            await http.GetAsync(new Uri("/api/status", UriKind.Relative)), // refused: 401
            await SendAsync(http, "/api/rounds", "Bearer " + token),
            await http.GetAsync(new Uri("/metrics", UriKind.Relative)),
        })
        {
            string what = $"{response.RequestMessage!.RequestUri} ({(int)response.StatusCode})";
            Assert.True(response.Headers.TryGetValues("Content-Security-Policy", out var csp), what);
            Assert.Equal(FedTrain.Coordinator.Hosting.HttpSecurityHeaders.ContentSecurityPolicy, csp.Single());
            Assert.Contains("frame-ancestors 'none'", csp.Single(), StringComparison.Ordinal);
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
        return await http.SendAsync(request);
    }
}
