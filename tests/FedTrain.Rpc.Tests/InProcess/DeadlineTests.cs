using FedTrain.Rpc.Tests.Echo;
using FedTrain.Rpc.Tests.Support;

namespace FedTrain.Rpc.Tests.InProcess;

public sealed class DeadlineTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private GrpcChannel Channel => fixture.Channel;

    [Fact]
    public async Task Client_deadline_fails_the_call_and_cancels_the_handler()
    {
        var request = new EchoMessage { Text = "deadline-unary", DelayMs = 30_000 };

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.UnaryAsync(EchoMethods.Unary, request, new CallOptions(Timeout: TimeSpan.FromMilliseconds(300))));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
        await fixture.Server.Echo.WaitForServerCancellationAsync("deadline-unary");
    }

    [Fact]
    public async Task Client_deadline_applies_to_a_server_stream_while_it_is_read()
    {
        var request = new EchoMessage { Text = "deadline-stream", ResponseCount = 1, DelayMs = 30_000 };

        var ex = await Assert.ThrowsAsync<RpcException>(() => AsyncSequence.ToListAsync(
            Channel.ServerStreamingAsync(EchoMethods.ServerStream, request, new CallOptions(Timeout: TimeSpan.FromMilliseconds(300)))));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
        await fixture.Server.Echo.WaitForServerCancellationAsync("deadline-stream");
    }

    [Fact]
    public async Task A_deadline_already_passed_fails_without_sending()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.UnaryAsync(EchoMethods.Unary, new EchoMessage(), new CallOptions(Timeout: TimeSpan.Zero)));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
    }

    [Fact]
    public async Task A_generous_deadline_does_not_disturb_the_call()
    {
        var reply = await Channel.UnaryAsync(EchoMethods.Unary, new EchoMessage { Text = "ok" }, new CallOptions(Timeout: TimeSpan.FromMinutes(5)));

        Assert.Equal("ok", reply.Text);
    }

    [Fact]
    public async Task Caller_cancellation_is_cancelled_and_reaches_the_handler()
    {
        using var cts = new CancellationTokenSource();
        var call = Channel.UnaryAsync(
            EchoMethods.Unary, new EchoMessage { Text = "cancel-unary", DelayMs = 30_000 }, new CallOptions(CancellationToken: cts.Token));
        await fixture.Server.Echo.WaitForServerDelayAsync("cancel-unary");
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => call);

        Assert.Equal(StatusCode.Cancelled, ex.Status);
        await fixture.Server.Echo.WaitForServerCancellationAsync("cancel-unary");
    }

    [Fact]
    public async Task Cancelling_a_stream_enumeration_is_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var stream = Channel.ServerStreamingAsync(EchoMethods.ServerStream, new EchoMessage { Text = "cancel-stream", ResponseCount = 1, DelayMs = 30_000 });
        var reading = ReadAllAsync(stream, cts.Token);
        await fixture.Server.Echo.WaitForServerDelayAsync("cancel-stream");
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => reading);

        Assert.Equal(StatusCode.Cancelled, ex.Status);
    }

    [Fact]
    public async Task A_cancellation_after_the_deadline_reports_deadline_exceeded()
    {
        // The clock passes the deadline but the timer has not fired yet when the caller cancels.
        var clock = new ManualTimeProvider();
        using var channel = GrpcChannel.ForAddress(fixture.Server.Address, new GrpcChannelOptions { TimeProvider = clock });
        using var cts = new CancellationTokenSource();
        var call = channel.UnaryAsync(
            EchoMethods.Unary,
            new EchoMessage { Text = "race", DelayMs = 30_000 },
            new CallOptions(Timeout: TimeSpan.FromSeconds(1), CancellationToken: cts.Token));
        await Task.Delay(100);
        clock.Advance(TimeSpan.FromSeconds(2));
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => call);

        Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
    }

    [Fact]
    public async Task Server_enforces_grpc_timeout_without_any_client_timer()
    {
        using var client = RawGrpc.CreateClient();
        var body = RawGrpc.Frame(new EchoMessage { Text = "server-deadline", DelayMs = 30_000 });

        var response = await RawGrpc.SendUnaryAsync(client, fixture.Server.Address, body, [("grpc-timeout", "200m")]);

        Assert.Equal(StatusCode.DeadlineExceeded, response.Status);
        await fixture.Server.Echo.WaitForServerCancellationAsync("server-deadline");
    }

    [Fact]
    public async Task The_call_context_carries_method_deadline_and_peer()
    {
        ServerCallContext? seen = null;
        await using var server = await TestServer.StartAsync(o => o.Interceptor = context =>
        {
            seen = context;
            return ValueTask.CompletedTask;
        });
        using var channel = server.CreateChannel();
        var before = DateTime.UtcNow;

        await channel.UnaryAsync(EchoMethods.Unary, new EchoMessage(), new CallOptions(Timeout: TimeSpan.FromMinutes(1)));

        Assert.NotNull(seen);
        Assert.Equal("/fedtrain.testing.Echo/Unary", seen.Method);
        Assert.StartsWith("ipv4:127.0.0.1:", seen.Peer, StringComparison.Ordinal);
        Assert.NotNull(seen.Deadline);
        Assert.Equal(DateTimeKind.Utc, seen.Deadline.Value.Kind);
        Assert.InRange(seen.Deadline.Value, before.AddSeconds(30), before.AddMinutes(2));
    }

    private static async Task<int> ReadAllAsync(IAsyncEnumerable<EchoMessage> stream, CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var unused in stream.WithCancellation(cancellationToken))
        {
            count++;
        }

        return count;
    }
}
