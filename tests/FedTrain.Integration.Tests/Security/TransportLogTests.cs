using FedTrain.Protos;
using FedTrain.Protos.Transport;
using FedTrain.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// Grpc.AspNetCore logs every non-OK status with its detail at Information. The coordinator keeps those lines out
/// (its own refusal events say the same, and are withheld under DP where they name clients).
/// </summary>
public sealed class TransportLogTests
{
    [Fact]
    public async Task A_refusal_naming_a_client_is_logged_by_the_coordinator_only_not_by_the_transport()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("transport-log");
        string credential = await coordinator.EnrolAsync("worker-1");
        using var channel = GrpcChannel.ForAddress(coordinator.Address);
        var auth = new CallOptions(SecureCoordinator.Bearer(credential), DateTime.UtcNow.AddSeconds(30));
        var register = new RegisterRequest { WorkerId = "worker-1", Data = new DataSummary { ExampleCount = 10 } };
        register.Data.LabelHistogram.Add(10);
        await channel.UnaryAsync(CoordinatorMethods.Register, register, auth);

        var refused = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(
            CoordinatorMethods.ReportMetrics, new MetricsReport { WorkerId = "worker-1", ClientId = "zulu-client", Round = 1 }, auth));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("zulu-client", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(coordinator.Logs.Lines, l => l.Contains("CoordinatorGrpcService[206]", StringComparison.Ordinal) && l.Contains("zulu-client", StringComparison.Ordinal));
        Assert.DoesNotContain(coordinator.Logs.Lines, l => l.Contains(" Grpc.", StringComparison.Ordinal) && l.Contains("zulu-client", StringComparison.Ordinal));
    }
}
