using System.Security.Cryptography.X509Certificates;
using FedTrain.Integration.Tests.Support;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;
using FedTrain.Worker.Security;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// A secured coordinator requiring client certificates (mTLS), with development certificates for worker-1 and
/// worker-2 made by <c>fedtrain certs dev</c>; worker-1 is enrolled over mTLS with its own certificate.
/// </summary>
public sealed class MtlsFixture : IAsyncLifetime
{
    internal SecureCoordinator Coordinator { get; private set; } = null!;

    public string Certs { get; private set; } = null!;

    /// <summary>worker-1's credential.</summary>
    public string Credential { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Certs = Path.Combine(RepoPaths.NewRunDirectory("mtls-certs"), "certs");
        using (var generate = CliProcess.Start("certs", "dev", "--out", Certs, "--client", "worker-1", "--client", "worker-2"))
        {
            Assert.True(await generate.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, generate.Output);
        }

        Coordinator = await SecureCoordinator.StartAsync("mtls-bind", options =>
        {
            options.Security.Tls.CertificateFile = Path.Combine(Certs, "server.crt");
            options.Security.Tls.KeyFile = Path.Combine(Certs, "server.key");
            options.Security.Tls.ClientCaFile = Path.Combine(Certs, "ca.crt");
        });
        using var channel = Channel("worker-1");
        var response = await channel.UnaryAsync(
            Protos.EnrollmentMethods.Enroll,
            new Protos.V1.EnrollRequest { WorkerId = "worker-1" },
            new CallOptions(SecureCoordinator.Bearer(await Coordinator.IssueEnrollmentTokenAsync("worker-1")), DateTime.UtcNow.AddSeconds(20)));
        Credential = response.Credential;
    }

    public X509Certificate2 Certificate(string workerId) =>
        X509Certificate2.CreateFromPemFile(Path.Combine(Certs, $"client-{workerId}.crt"), Path.Combine(Certs, $"client-{workerId}.key"));

    /// <summary>A gRPC channel that trusts the development CA and presents <paramref name="workerId"/>'s certificate.</summary>
    public GrpcChannel Channel(string workerId) =>
        GrpcChannel.ForAddress(Coordinator.Address, new GrpcChannelOptions { HttpHandler = Handler(workerId) });

    /// <summary>A raw HTTP/2 client over TLS presenting <paramref name="workerId"/>'s certificate.</summary>
    public HttpClient Client(string workerId) => RawGrpc.CreateClient(Handler(workerId));

    public async Task DisposeAsync() => await Coordinator.DisposeAsync();

    private SocketsHttpHandler Handler(string workerId) => WorkerTls.CreateHandler(new WorkerSecurityOptions
    {
        CaFile = Path.Combine(Certs, "ca.crt"),
        ClientCertificateFile = Path.Combine(Certs, $"client-{workerId}.crt"),
        ClientKeyFile = Path.Combine(Certs, $"client-{workerId}.key"),
    });
}
