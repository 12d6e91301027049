using FedTrain.Coordinator.Security;
using FedTrain.Protos;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedTrain.Integration.Tests.Security;

/// <summary>Enrolment against a real coordinator: a token works once, for its worker only, and the store keeps no secret.</summary>
public sealed class EnrolmentTests
{
    [Fact]
    public async Task An_enrollment_token_works_once_for_its_own_worker_and_only_hashes_are_stored()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("enrol");
        using var channel = GrpcChannel.ForAddress(coordinator.Address);
        string token = await coordinator.IssueEnrollmentTokenAsync("echo");

        var wrongWorker = await Assert.ThrowsAsync<RpcException>(() => EnrolAsync(channel, "foxtrot", token));
        Assert.Equal(StatusCode.PermissionDenied, wrongWorker.StatusCode);

        // A refused attempt for another worker does not use the token up.
        var enrolled = await EnrolAsync(channel, "echo", token);
        Assert.StartsWith(SecretToken.CredentialKind + "_", enrolled.Credential, StringComparison.Ordinal);
        Assert.Equal(coordinator.Host.Orchestrator.RunId, enrolled.RunId);

        var again = await Assert.ThrowsAsync<RpcException>(() => EnrolAsync(channel, "echo", token));
        Assert.Equal(StatusCode.PermissionDenied, again.StatusCode);
        var garbage = await Assert.ThrowsAsync<RpcException>(() => EnrolAsync(channel, "echo", "fte_0000_nope"));
        Assert.Equal(StatusCode.Unauthenticated, garbage.StatusCode);
        var none = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EnrollmentMethods.Enroll, new EnrollRequest { WorkerId = "echo" }));
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);

        // The credential works; the database holds neither secret.
        var heartbeat = await channel.UnaryAsync(
            CoordinatorMethods.Heartbeat, new HeartbeatRequest { WorkerId = "echo" }, new CallOptions(SecureCoordinator.Bearer(enrolled.Credential)));
        Assert.False(heartbeat.Known);
        foreach (string secret in new[] { token, enrolled.Credential }.Select(SecretPart))
        {
            Assert.False(await Support.TestDatabase.ContainsAsync(coordinator.RunDirectory, secret), "a secret is stored in the clear");
        }

        // Revocation takes effect on the next call, without a restart.
        using (var store = coordinator.OpenStore())
        {
            await store.RevokeWorkerAsync("echo", DateTimeOffset.UtcNow);
        }

        var revoked = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(
            CoordinatorMethods.Heartbeat, new HeartbeatRequest { WorkerId = "echo" }, new CallOptions(SecureCoordinator.Bearer(enrolled.Credential))));
        Assert.Equal(StatusCode.PermissionDenied, revoked.StatusCode);
    }

    [Fact]
    public async Task An_expired_enrollment_token_is_refused()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("enrol-expired");
        string token;
        using (var store = coordinator.OpenStore())
        {
            var issued = SecretToken.Create(SecretToken.EnrollmentKind);
            var past = DateTimeOffset.UtcNow.AddHours(-2);
            await store.AddEnrollmentAsync(new EnrollmentRecord(issued.Id, "golf", issued.SecretHash, past, past.AddHours(1), null, null));
            token = issued.Token;
        }

        using var channel = GrpcChannel.ForAddress(coordinator.Address);
        var expired = await Assert.ThrowsAsync<RpcException>(() => EnrolAsync(channel, "golf", token));
        Assert.Equal(StatusCode.PermissionDenied, expired.StatusCode);
    }

    // A token reads KIND_ID_SECRET; the secret is base64url, which may itself contain '_'.
    private static string SecretPart(string token) => token.Split('_', 3)[2];

    private static Task<EnrollResponse> EnrolAsync(GrpcChannel channel, string workerId, string token) =>
        channel.UnaryAsync(EnrollmentMethods.Enroll, new EnrollRequest { WorkerId = workerId }, new CallOptions(SecureCoordinator.Bearer(token)));
}
