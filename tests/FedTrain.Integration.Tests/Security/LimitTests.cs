using FedTrain.Protos;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedTrain.Integration.Tests.Security;

/// <summary>Per-worker limits on a real coordinator: exceeding one answers RESOURCE_EXHAUSTED, is logged, and spares other workers.</summary>
public sealed class LimitTests
{
    [Fact]
    public async Task A_flooding_worker_is_throttled_while_another_worker_completes_its_calls()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("limit-rate", o =>
        {
            o.Security.Limits.RequestsPerSecond = 2;
            o.Security.Limits.RequestBurst = 5;
        });
        string flooder = await coordinator.EnrolAsync("flooder");
        string steady = await coordinator.EnrolAsync("steady");
        using var channel = GrpcChannel.ForAddress(coordinator.Address);

        var flood = Enumerable.Range(0, 60).Select(_ => StatusOfHeartbeatAsync(channel, "flooder", flooder)).ToList();
        var steadyCalls = new List<StatusCode>();
        for (int i = 0; i < 3; i++)
        {
            steadyCalls.Add(await StatusOfHeartbeatAsync(channel, "steady", steady));
        }

        var flooded = await Task.WhenAll(flood);
        Assert.All(steadyCalls, s => Assert.Equal(StatusCode.OK, s));
        Assert.InRange(flooded.Count(s => s == StatusCode.OK), 5, 10); // the burst, plus what refilled meanwhile
        Assert.All(flooded, s => Assert.True(s is StatusCode.OK or StatusCode.ResourceExhausted, s.ToString()));
        Assert.Contains(coordinator.Logs.Lines, l => l.Contains("Refused a call of flooder", StringComparison.Ordinal) && l.Contains("request rate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_streams_are_capped_per_worker()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("limit-streams", o => o.Security.Limits.MaxConcurrentStreamsPerWorker = 2);
        string credential = await coordinator.EnrolAsync("poller");
        string other = await coordinator.EnrolAsync("other");
        using var channel = GrpcChannel.ForAddress(coordinator.Address);
        var auth = new CallOptions(SecureCoordinator.Bearer(credential));
        var register = new RegisterRequest { WorkerId = "poller", Data = new DataSummary { ExampleCount = 10 } };
        register.Data.LabelHistogram.Add(10);
        await channel.UnaryAsync(CoordinatorMethods.Register, register, auth);

        // Two long polls hold both of this worker's slots (no round starts in this test).
        var polls = Enumerable.Range(0, 2).Select(_ => channel.UnaryAsync(
            CoordinatorMethods.GetAssignment, new AssignmentRequest { WorkerId = "poller", WaitSeconds = 4 }, auth)).ToList();
        await Task.Delay(500); // let both long polls reach the server before the third call
        Assert.All(polls, t => Assert.False(t.IsCompleted));

        Assert.Equal(StatusCode.ResourceExhausted, await StatusOfHeartbeatAsync(channel, "poller", credential));
        Assert.Equal(StatusCode.OK, await StatusOfHeartbeatAsync(channel, "other", other));
        Assert.All(await Task.WhenAll(polls), r => Assert.Equal(AssignmentResponse.OutcomeOneofCase.None_, r.OutcomeCase));
        // The slots are given back when the calls end.
        Assert.Equal(StatusCode.OK, await StatusOfHeartbeatAsync(channel, "poller", credential));
        Assert.Contains(coordinator.Logs.Lines, l => l.Contains("concurrent streams limit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_stream_over_the_stream_size_limit_is_refused()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("limit-stream-size", o => o.Security.Limits.MaxStreamBytes = 64 * 1024);
        string credential = await coordinator.EnrolAsync("big");
        using var client = RawGrpc.CreateClient();
        // One message under the 4 MiB message limit, but over the 64 KiB stream limit.
        byte[] body = RawGrpc.Frame(new UpdateChunk { Data = Google.Protobuf.ByteString.CopyFrom(new byte[80 * 1024]) });

        var (status, message) = await RawGrpc.CallAsync(
            client, coordinator.Address, "/fedtrain.v1.Coordinator/UploadUpdate", body, "Bearer " + credential, CancellationToken.None);

        Assert.Equal((int)StatusCode.ResourceExhausted, status);
        Assert.Contains("max_stream_bytes", message, StringComparison.Ordinal);
    }

    private static async Task<StatusCode> StatusOfHeartbeatAsync(GrpcChannel channel, string workerId, string credential)
    {
        try
        {
            await channel.UnaryAsync(CoordinatorMethods.Heartbeat, new HeartbeatRequest { WorkerId = workerId }, new CallOptions(SecureCoordinator.Bearer(credential)));
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }
}
