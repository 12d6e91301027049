using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedTrain.Integration.Tests.Support;
using FedTrain.Protos.Transport;
using FedTrain.Worker.Security;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// What a worker checks before it trusts the wire with its credential: the coordinator's certificate must be issued
/// for a TLS server (serverAuth), and plain http:// is refused to any host but this one unless --insecure is given.
/// </summary>
public sealed class WorkerTransportTests
{
    private static readonly Oid ServerAuthentication = new(Core.Security.ExtendedKeyUsages.ServerAuthentication);

    [Fact]
    public async Task A_coordinator_certificate_without_serverAuth_is_refused_with_the_reason()
    {
        string dir = RepoPaths.NewRunDirectory("no-server-auth");
        // Chains to the worker's CA and names the host, but says nothing of what it is for (no extended key usage), so
        // it was not issued as a TLS server's. Kestrel serves it (it refuses only an explicit list without serverAuth).
        var (ca, certificate, key) = IssueServerCertificate(dir, usage: null);
        await using var coordinator = await SecureCoordinator.StartAsync("no-server-auth", o =>
        {
            o.Security.Tls.CertificateFile = certificate;
            o.Security.Tls.KeyFile = key;
        });

        using var worker = CliProcess.Start(
            "worker", "--coordinator", $"https://localhost:{coordinator.Host.GrpcPort}", "--worker-id", "worker-1", "--train-limit", "100",
            "--threads", "1", "--ca", ca, "--state-dir", Path.Combine(dir, "state"));
        await worker.WaitForOutputAsync("lacks the serverAuth extended key usage (1.3.6.1.5.5.7.3.1)", TimeSpan.FromSeconds(90));
        Assert.Contains("Refused the coordinator's TLS certificate CN=localhost", worker.Output, StringComparison.Ordinal);
        worker.Kill();
        // The handshake never completed, so no call reached the coordinator's handlers.
        Assert.DoesNotContain(coordinator.Logs.Lines, l => l.Contains("worker-1 registered", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Development_certificates_carry_serverAuth_and_a_certificate_with_it_is_accepted()
    {
        string dir = RepoPaths.NewRunDirectory("server-auth");
        string certs = Path.Combine(dir, "certs");
        using (var generate = CliProcess.Start("certs", "dev", "--out", certs))
        {
            Assert.True(await generate.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, generate.Output);
        }

        using (var server = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(certs, "server.crt"))))
        {
            Assert.True(WorkerTls.HasServerAuthentication(server));
        }

        // The same issuer as the refused case, with serverAuth: the worker's handler accepts it.
        var (ca, certificate, key) = IssueServerCertificate(dir, ServerAuthentication);
        await using var coordinator = await SecureCoordinator.StartAsync("server-auth", o =>
        {
            o.Security.Tls.CertificateFile = certificate;
            o.Security.Tls.KeyFile = key;
            o.Security.Auth.Enabled = false;
        });
        using var handler = WorkerTls.CreateHandler(new WorkerSecurityOptions { CaFile = ca });
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(
            new Uri($"https://localhost:{coordinator.Host.GrpcPort}"), new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = handler });
        var heartbeat = await channel.UnaryAsync(
            Protos.CoordinatorMethods.Heartbeat, new Protos.V1.HeartbeatRequest { WorkerId = "worker-1" }, new Grpc.Core.CallOptions(deadline: DateTime.UtcNow.AddSeconds(20)));
        Assert.False(heartbeat.Known);
    }

    [Fact]
    public async Task A_credential_is_not_sent_over_plain_http_to_another_host_unless_insecure_is_given()
    {
        string dir = RepoPaths.NewRunDirectory("plain-http");
        string credential = Path.Combine(dir, "worker.credential");
        await File.WriteAllTextAsync(credential, "not-a-real-credential");
        // 192.0.2.0/24 is reserved for documentation: not this host, and nobody answers there.
        string[] common =
        [
            "worker", "--coordinator", "http://192.0.2.10:50051", "--worker-id", "worker-1", "--credential-file", credential,
            "--train-limit", "100", "--threads", "1", "--state-dir", Path.Combine(dir, "state"),
        ];

        using (var refused = CliProcess.Start(common))
        {
            Assert.Equal(2, await refused.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("Refusing to send this worker's credential in clear text", refused.Output, StringComparison.Ordinal);
            Assert.Contains("--insecure", refused.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("not-a-real-credential", refused.Output, StringComparison.Ordinal);
        }

        // With --insecure the worker goes on and tries to reach the coordinator.
        using var accepted = CliProcess.Start([.. common, "--insecure"]);
        await accepted.WaitForOutputAsync("Coordinator unreachable", TimeSpan.FromSeconds(90));
        Assert.DoesNotContain("Refusing to send", accepted.Output, StringComparison.Ordinal);
        accepted.Kill();
    }

    /// <summary>
    /// A CA and a certificate for localhost signed by it, with the one extended key usage given or (null) without the
    /// extension; PEM files in <paramref name="dir"/>.
    /// </summary>
    private static (string Ca, string Certificate, string Key) IssueServerCertificate(string dir, Oid? usage)
    {
        Directory.CreateDirectory(dir);
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        if (usage is not null)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        }

        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var server = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), [1, 2, 3, 4]);

        string name = usage is null ? "no-usage" : "server-auth";
        string caPath = Path.Combine(dir, name + "-ca.crt");
        string certificatePath = Path.Combine(dir, name + ".crt");
        string keyPath = Path.Combine(dir, name + ".key");
        File.WriteAllText(caPath, ca.ExportCertificatePem());
        File.WriteAllText(certificatePath, server.ExportCertificatePem());
        File.WriteAllText(keyPath, serverKey.ExportPkcs8PrivateKeyPem());
        return (caPath, certificatePath, keyPath);
    }
}
