using FedTrain.Integration.Tests.Security;
using FedTrain.Protos;
using FedTrain.Protos.Transport;
using FedTrain.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedTrain.Integration.Tests.Transport;

/// <summary>
/// A real coordinator stopping while a worker's assignment long poll is open: the poll ends UNAVAILABLE at once
/// (the worker retries it as any outage) rather than holding the stop until its wait runs out.
/// </summary>
public sealed class LongPollShutdownTests
{
    [Fact]
    public async Task Stopping_the_coordinator_ends_an_open_long_poll_UNAVAILABLE()
    {
        var coordinator = await SecureCoordinator.StartAsync("poll-stop");
        using var channel = GrpcChannel.ForAddress(coordinator.Address);
        Task? stopping = null;
        try
        {
            string credential = await coordinator.EnrolAsync("poller");
            var auth = new CallOptions(SecureCoordinator.Bearer(credential), DateTime.UtcNow.AddSeconds(60));
            var register = new RegisterRequest { WorkerId = "poller", Data = new DataSummary { ExampleCount = 10 } };
            register.Data.LabelHistogram.Add(10);
            await channel.UnaryAsync(CoordinatorMethods.Register, register, auth);
            var poll = channel.UnaryAsync(CoordinatorMethods.GetAssignment, new AssignmentRequest { WorkerId = "poller", WaitSeconds = 30 }, auth);
            // The poll is held: no round starts (the coordinator waits for more workers).
            Assert.NotSame(poll, await Task.WhenAny(poll, Task.Delay(500)));

            stopping = coordinator.DisposeAsync().AsTask();
            var error = await Assert.ThrowsAsync<RpcException>(() => poll);

            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.Equal("The coordinator is stopping.", error.Status.Detail);
            // The web host's shutdown timeout is 30 s, as long as the poll would have waited.
            await stopping.WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            await (stopping ?? coordinator.DisposeAsync().AsTask());
        }
    }
}
