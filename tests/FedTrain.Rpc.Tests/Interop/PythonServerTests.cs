using FedTrain.Rpc.Tests.Echo;
using FedTrain.Rpc.Tests.Support;
using Google.Protobuf;

namespace FedTrain.Rpc.Tests.Interop;

/// <summary>Our client against a real gRPC server (grpcio, gRPC C-core).</summary>
[Collection(InteropGroup.Name)]
public sealed class PythonServerTests(InteropFixture fixture)
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task Unary_with_metadata()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Python.Address);
        var headers = new Metadata { { "x-worker-id", "worker-7" }, { "x-trace-bin", new byte[] { 0x00, 0x01, 0x02, 0xFA } } };

        var reply = await channel.UnaryAsync(
            EchoMethods.Unary, new EchoMessage { Text = "hello", Values = { 0.25f } }, new CallOptions(Headers: headers, Timeout: TimeSpan.FromSeconds(10)));

        Assert.Equal("hello;x-trace-bin=000102fa;x-worker-id=worker-7", reply.Text);
        Assert.Equal([0.25f], reply.Values);
    }

    [Fact]
    public async Task Server_streaming_ten_1_MiB_messages_and_an_empty_stream()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Python.Address);

        var replies = await AsyncSequence.ToListAsync(
            channel.ServerStreamingAsync(EchoMethods.ServerStream, new EchoMessage { ResponseCount = 10, ResponseSize = MiB }));
        var empty = await AsyncSequence.ToListAsync(
            channel.ServerStreamingAsync(EchoMethods.ServerStream, new EchoMessage { ResponseCount = 0 }));

        Assert.Equal(Enumerable.Range(0, 10), replies.Select(r => r.Count));
        Assert.All(replies, r => Assert.Equal(MiB, r.Payload.Length));
        Assert.Empty(empty);
    }

    [Fact]
    public async Task Client_streaming_ten_1_MiB_messages()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Python.Address);
        var chunk = ByteString.CopyFrom(new byte[MiB]);

        var reply = await channel.ClientStreamingAsync(
            EchoMethods.ClientStream, AsyncSequence.From(Enumerable.Range(0, 10).Select(i => new EchoMessage { Text = $"{i}", Payload = chunk })));

        Assert.Equal(10, reply.Count);
        Assert.Equal(10L * MiB, reply.TotalBytes);
    }

    [Fact]
    public async Task Duplex_ping_pong()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Python.Address);
        var outgoing = System.Threading.Channels.Channel.CreateUnbounded<EchoMessage>();
        await outgoing.Writer.WriteAsync(new EchoMessage { Text = "ping-0" });
        var seen = new List<string>();

        await foreach (var reply in channel.DuplexStreamingAsync(EchoMethods.Duplex, outgoing.Reader.ReadAllAsync()))
        {
            seen.Add(reply.Text);
            if (reply.Count == 4)
            {
                outgoing.Writer.Complete();
            }
            else
            {
                await outgoing.Writer.WriteAsync(new EchoMessage { Text = $"ping-{reply.Count + 1}" });
            }
        }

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"ping-{i}"), seen);
    }

    [Fact]
    public async Task Error_with_message_and_trailers()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Python.Address);
        const string message = "naïve ✓ 100% done\nline 2";

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoMethods.Unary, new EchoMessage { FailCode = (int)StatusCode.NotFound, FailMessage = message }));

        Assert.Equal(StatusCode.NotFound, ex.Status);
        Assert.Equal(message, ex.Detail);
        Assert.Equal("detail-text", ex.Trailers.GetValue("x-error-detail"));
        Assert.Equal(EchoService.ErrorBinTrailer, ex.Trailers.GetBytes("x-error-bin"));
    }

    [Fact]
    public async Task Error_after_three_streamed_messages()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Python.Address);
        var received = new List<int>();

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            var request = new EchoMessage { ResponseCount = 10, ResponseSize = 10, FailCode = (int)StatusCode.Aborted, FailMessage = "stop", FailAfter = 3 };
            await foreach (var reply in channel.ServerStreamingAsync(EchoMethods.ServerStream, request))
            {
                received.Add(reply.Count);
            }
        });

        Assert.Equal([0, 1, 2], received);
        Assert.Equal(StatusCode.Aborted, ex.Status);
    }

    [Fact]
    public async Task Deadline_and_unknown_method()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Python.Address);
        var missing = new Method<EchoMessage, EchoMessage>(MethodType.Unary, EchoMethods.Service, "Missing", EchoMessage.Parser, EchoMessage.Parser);

        var deadline = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(
            EchoMethods.Unary, new EchoMessage { DelayMs = 30_000 }, new CallOptions(Timeout: TimeSpan.FromMilliseconds(300))));
        var unimplemented = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(missing, new EchoMessage()));

        Assert.Equal(StatusCode.DeadlineExceeded, deadline.Status);
        Assert.Equal(StatusCode.Unimplemented, unimplemented.Status);
    }

    [Fact]
    public async Task Request_over_the_python_limit_is_resource_exhausted()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Python.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoMethods.Unary, new EchoMessage { Payload = ByteString.CopyFrom(new byte[5 * MiB]) }));

        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
    }

    [Fact]
    public async Task A_gzip_compressing_server_is_decoded()
    {
        using var channel = GrpcChannel.ForAddress(fixture.PythonGzip.Address);

        var unary = await channel.UnaryAsync(EchoMethods.Unary, new EchoMessage { Text = "gz", Payload = ByteString.CopyFrom(new byte[MiB]) });
        var streamed = await AsyncSequence.ToListAsync(
            channel.ServerStreamingAsync(EchoMethods.ServerStream, new EchoMessage { ResponseCount = 5, ResponseSize = MiB }));

        Assert.Equal("gz", unary.Text);
        Assert.Equal(MiB, unary.Payload.Length);
        Assert.Equal(5, streamed.Count);
        Assert.All(streamed, r => Assert.Equal((byte)r.Count, r.Payload.Span[^1]));
    }
}
