using FedTrain.Protos;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Net.Client;

namespace FedTrain.Integration.Tests.Security;

/// <summary>Authentication off is an explicit choice, and a loudly logged one.</summary>
public sealed class InsecureModeTests
{
    [Fact]
    public async Task With_authentication_off_calls_need_no_credential_and_a_warning_is_logged()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("insecure", o => o.Security.Auth.Enabled = false);
        using var channel = GrpcChannel.ForAddress(coordinator.Address);

        var heartbeat = await channel.UnaryAsync(CoordinatorMethods.Heartbeat, new HeartbeatRequest { WorkerId = "anyone" });

        Assert.False(heartbeat.Known);
        Assert.Contains(coordinator.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("AUTHENTICATION IS OFF", StringComparison.Ordinal));
        Assert.Null(coordinator.Host.OperatorTokenPath);
    }
}
