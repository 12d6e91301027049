using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// With TLS configured the HTTP port (page, API, /metrics) serves TLS too, with the gRPC port's certificate or its
/// own; without TLS, a coordinator that binds beyond loopback with authentication on warns that tokens travel in clear.
/// </summary>
public sealed class HttpPortTlsTests
{
    [Fact]
    public async Task The_HTTP_port_serves_TLS_with_the_gRPC_certificate_and_refuses_plaintext()
    {
        string certs = await DevCertificatesAsync("http-tls");
        await using var coordinator = await SecureCoordinator.StartAsync("http-tls", o =>
        {
            o.Security.Tls.CertificateFile = Path.Combine(certs, "server.crt");
            o.Security.Tls.KeyFile = Path.Combine(certs, "server.key");
        });
        string token = (await File.ReadAllTextAsync(coordinator.Host.OperatorTokenPath!)).Trim();

        var (status, presented) = await GetOverTlsAsync(coordinator.Host.HttpPort, "/api/status", Path.Combine(certs, "ca.crt"), token);
        using var plain = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync(new Uri($"http://127.0.0.1:{coordinator.Host.HttpPort}/healthz")));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(certs, "server.crt"))).Thumbprint, presented);
    }

    [Fact]
    public async Task The_HTTP_port_can_have_its_own_certificate()
    {
        string grpcCerts = await DevCertificatesAsync("http-tls-grpc");
        string httpCerts = await DevCertificatesAsync("http-tls-own");
        await using var coordinator = await SecureCoordinator.StartAsync("http-tls-own", o =>
        {
            o.Security.Tls.CertificateFile = Path.Combine(grpcCerts, "server.crt");
            o.Security.Tls.KeyFile = Path.Combine(grpcCerts, "server.key");
            o.Security.Tls.HttpCertificateFile = Path.Combine(httpCerts, "server.crt");
            o.Security.Tls.HttpKeyFile = Path.Combine(httpCerts, "server.key");
        });

        var (status, presented) = await GetOverTlsAsync(coordinator.Host.HttpPort, "/healthz", Path.Combine(httpCerts, "ca.crt"), token: null);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(httpCerts, "server.crt"))).Thumbprint, presented);
    }

    [Fact]
    public void An_HTTP_certificate_without_TLS_on_is_refused_naming_the_option()
    {
        var tls = new FedTrain.Coordinator.Security.TlsOptions { HttpCertificateFile = "a.crt", HttpKeyFile = "a.key" };

        var error = Assert.Throws<ArgumentException>(tls.Validate);

        Assert.Contains("Security.Tls.HttpCertificateFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binding_beyond_loopback_without_TLS_warns_that_tokens_travel_in_clear()
    {
        await using (var exposed = await SecureCoordinator.StartAsync("clear-exposed", o => o.BindAddress = "0.0.0.0"))
        {
            Assert.Contains(exposed.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("IN CLEAR", StringComparison.Ordinal));
        }

        await using var loopback = await SecureCoordinator.StartAsync("clear-loopback");
        Assert.DoesNotContain(loopback.Logs.Lines, l => l.Contains("IN CLEAR", StringComparison.Ordinal));
    }

    private static async Task<string> DevCertificatesAsync(string name)
    {
        string certs = Path.Combine(RepoPaths.NewRunDirectory(name), "certs");
        using var generate = CliProcess.Start("certs", "dev", "--out", certs);
        Assert.True(await generate.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, generate.Output);
        return certs;
    }

    /// <summary>A GET over TLS that trusts only <paramref name="caFile"/>; returns the status and the certificate the server presented.</summary>
    private static async Task<(HttpStatusCode Status, string Presented)> GetOverTlsAsync(int port, string path, string caFile, string? token)
    {
        var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(caFile));
        string? presented = null;
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var server = new X509Certificate2(certificate!);
                    presented = server.Thumbprint;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(server);
                },
            },
        };
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"https://localhost:{port}{path}"));
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await client.SendAsync(request);
        return (response.StatusCode, presented!);
    }
}
