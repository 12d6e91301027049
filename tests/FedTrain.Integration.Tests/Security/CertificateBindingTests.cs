using FedTrain.Coordinator.Security;
using FedTrain.Protos;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;
using Google.Protobuf.Reflection;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// Under mTLS the client certificate must name the worker whose credential (or enrollment token) a call carries
/// (SAN URI <c>urn:fedtrain:worker:ID</c>, as <c>fedtrain certs dev</c> issues). A real coordinator on loopback
/// TLS, certificates from the real CLI: worker-2's certificate carrying worker-1's credential is refused on every
/// RPC, with the reason logged; worker-1's own certificate passes.
/// </summary>
public sealed class CertificateBindingTests(MtlsFixture fixture) : IClassFixture<MtlsFixture>
{
    private const int PermissionDenied = 7;
    private const int Unauthenticated = 16;

    private static ServiceDescriptor Service => Assert.Single(FederationReflection.Descriptor.Services);

    [Fact]
    public void Dev_certificates_name_their_worker_in_a_SAN_URI()
    {
        using var first = fixture.Certificate("worker-1");
        using var second = fixture.Certificate("worker-2");
        Assert.Equal("worker-1", WorkerCertificateIdentity.WorkerIdOf(first));
        Assert.Equal("worker-2", WorkerCertificateIdentity.WorkerIdOf(second));
        using var server = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(
            File.ReadAllText(Path.Combine(fixture.Certs, "server.crt")));
        Assert.Null(WorkerCertificateIdentity.WorkerIdOf(server));
    }

    [Fact]
    public async Task Another_workers_certificate_with_this_workers_credential_is_refused_on_every_rpc()
    {
        using var client = fixture.Client("worker-2");
        foreach (var method in Service.Methods)
        {
            var (status, message) = await CallAsync(client, method, "worker-1", fixture.Credential);
            Assert.True(status == PermissionDenied, $"{method.Name}: status {status} ({message})");
            Assert.Equal(WorkerAuthenticator.PermissionDeniedDetail, message);
        }

        string refusals = string.Join('\n', fixture.Coordinator.Logs.Lines.Where(l => l.Contains("worker worker-2's, not this worker's", StringComparison.Ordinal)));
        Assert.True(refusals.Split('\n').Length >= Service.Methods.Count, fixture.Coordinator.Logs.All);
        Assert.Contains("(worker worker-1)", refusals, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Credential.Split('_', 3)[2], fixture.Coordinator.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_workers_own_certificate_with_its_credential_passes_the_gate_on_every_rpc()
    {
        using var client = fixture.Client("worker-1");
        foreach (var method in Service.Methods)
        {
            var (status, message) = await CallAsync(client, method, "worker-1", fixture.Credential);

            // The handler answers (e.g. FAILED_PRECONDITION: not registered); authentication does not refuse.
            Assert.True(status is not PermissionDenied and not Unauthenticated, $"{method.Name}: status {status} ({message})");
        }
    }

    [Fact]
    public async Task Another_workers_certificate_cannot_redeem_an_enrollment_token_and_does_not_use_it_up()
    {
        string token = await fixture.Coordinator.IssueEnrollmentTokenAsync("worker-3");
        using (var wrong = fixture.Channel("worker-2"))
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => EnrolAsync(wrong, "worker-3", token));
            Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        }

        // worker-3 has no certificate of its own; worker-1's is refused too, so the token is still unused.
        using var own = fixture.Channel("worker-1");
        var other = await Assert.ThrowsAsync<RpcException>(() => EnrolAsync(own, "worker-3", token));
        Assert.Equal(StatusCode.PermissionDenied, other.StatusCode);
        using var store = fixture.Coordinator.OpenStore();
        Assert.Null(Assert.Single(await store.ListEnrollmentsAsync(), e => e.WorkerId == "worker-3").UsedAt);
    }

    private static Task<EnrollResponse> EnrolAsync(GrpcChannel channel, string workerId, string token) =>
        channel.UnaryAsync(EnrollmentMethods.Enroll, new EnrollRequest { WorkerId = workerId }, new CallOptions(SecureCoordinator.Bearer(token), DateTime.UtcNow.AddSeconds(20)));

    private async Task<(int Status, string Message)> CallAsync(HttpClient client, MethodDescriptor method, string workerId, string credential) =>
        await RawGrpc.CallAsync(
            client, fixture.Coordinator.Address, $"/{Service.FullName}/{method.Name}",
            RawGrpc.Frame(PerMethodAuthenticationTests.NamingWorker(method.InputType, workerId)), "Bearer " + credential, CancellationToken.None);
}
