using System.Threading.Channels;
using FedTrain.Rpc.Tests.Echo;
using FedTrain.Rpc.Tests.Support;
using Google.Protobuf;

namespace FedTrain.Rpc.Tests.InProcess;

public sealed class StreamingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const int MiB = 1024 * 1024;

    private GrpcChannel Client => fixture.Channel;

    [Fact]
    public async Task Server_streaming_with_no_messages_completes_ok()
    {
        var replies = await AsyncSequence.ToListAsync(
            Client.ServerStreamingAsync(EchoMethods.ServerStream, new EchoMessage { ResponseCount = 0 }));

        Assert.Empty(replies);
    }

    [Fact]
    public async Task Server_streaming_delivers_ten_1_MiB_messages_in_order()
    {
        var request = new EchoMessage { ResponseCount = 10, ResponseSize = MiB };

        var count = 0;
        await foreach (var reply in Client.ServerStreamingAsync(EchoMethods.ServerStream, request))
        {
            Assert.Equal(count, reply.Count);
            Assert.Equal(MiB, reply.Payload.Length);
            Assert.All(reply.Payload.Span[..16].ToArray(), b => Assert.Equal((byte)count, b));
            Assert.Equal((byte)count, reply.Payload.Span[^1]);
            count++;
        }

        Assert.Equal(10, count);
    }

    [Fact]
    public async Task An_error_after_three_messages_arrives_after_them_in_the_trailers()
    {
        var request = new EchoMessage { ResponseCount = 10, ResponseSize = 10, FailCode = (int)StatusCode.Aborted, FailMessage = "stop", FailAfter = 3 };
        var received = new List<int>();

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var reply in Client.ServerStreamingAsync(EchoMethods.ServerStream, request))
            {
                received.Add(reply.Count);
            }
        });

        Assert.Equal([0, 1, 2], received);
        Assert.Equal(StatusCode.Aborted, ex.Status);
        Assert.Equal("stop", ex.Detail);
        Assert.Equal("detail-text", ex.Trailers.GetValue("x-error-detail"));
    }

    [Fact]
    public async Task Client_streaming_uploads_ten_1_MiB_messages()
    {
        var requests = AsyncSequence.From(Enumerable.Range(0, 10)
            .Select(i => new EchoMessage { Text = $"{i}", Payload = ByteString.CopyFrom(new byte[MiB]) }));

        var reply = await Client.ClientStreamingAsync(EchoMethods.ClientStream, requests);

        Assert.Equal(10, reply.Count);
        Assert.Equal(10L * MiB, reply.TotalBytes);
        Assert.Equal("0,1,2,3,4,5,6,7,8,9", reply.Text);
    }

    [Fact]
    public async Task Client_streaming_beyond_kestrels_default_body_limit_succeeds()
    {
        // 32 MiB > Kestrel's default MaxRequestBodySize of 30,000,000 bytes, which the router lifts per call.
        var chunk = ByteString.CopyFrom(new byte[MiB]);
        var requests = AsyncSequence.From(Enumerable.Range(0, 32).Select(_ => new EchoMessage { Payload = chunk }));

        var reply = await Client.ClientStreamingAsync(EchoMethods.ClientStream, requests);

        Assert.Equal(32L * MiB, reply.TotalBytes);
    }

    [Fact]
    public async Task Client_streaming_with_no_messages_sends_an_empty_half_close()
    {
        var reply = await Client.ClientStreamingAsync(EchoMethods.ClientStream, AsyncSequence.From(Array.Empty<EchoMessage>()));

        Assert.Equal(0, reply.Count);
    }

    [Fact]
    public async Task Client_streaming_server_error_mid_upload_is_reported()
    {
        var requests = AsyncSequence.From(Enumerable.Range(0, 5)
            .Select(i => new EchoMessage { FailCode = i == 2 ? (int)StatusCode.InvalidArgument : 0, FailMessage = "bad chunk" }));

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.ClientStreamingAsync(EchoMethods.ClientStream, requests));

        Assert.Equal(StatusCode.InvalidArgument, ex.Status);
        Assert.Equal("bad chunk", ex.Detail);
    }

    [Fact]
    public async Task An_exception_from_the_request_sequence_reaches_the_caller_unchanged()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Client.ClientStreamingAsync(EchoMethods.ClientStream, FailingRequests()));

        Assert.Equal("request source broke", ex.Message);

        static async IAsyncEnumerable<EchoMessage> FailingRequests()
        {
            yield return new EchoMessage { Text = "first" };
            await Task.Yield();
            throw new InvalidOperationException("request source broke");
        }
    }

    [Fact]
    public async Task Duplex_ping_pong_sends_each_request_only_after_the_previous_reply()
    {
        var outgoing = Channel.CreateUnbounded<EchoMessage>();
        await outgoing.Writer.WriteAsync(new EchoMessage { Text = "ping-0" });
        var replies = new List<string>();

        await foreach (var reply in Client.DuplexStreamingAsync(EchoMethods.Duplex, outgoing.Reader.ReadAllAsync()))
        {
            replies.Add(reply.Text);
            if (reply.Count == 4)
            {
                outgoing.Writer.Complete();
            }
            else
            {
                await outgoing.Writer.WriteAsync(new EchoMessage { Text = $"ping-{reply.Count + 1}" });
            }
        }

        Assert.Equal(["ping-0", "ping-1", "ping-2", "ping-3", "ping-4"], replies);
    }

    [Fact]
    public async Task Duplex_error_from_the_server_ends_the_stream()
    {
        var requests = AsyncSequence.From([new EchoMessage { Text = "a" }, new EchoMessage { FailCode = (int)StatusCode.FailedPrecondition, FailMessage = "no" }]);
        var received = new List<string>();

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var reply in Client.DuplexStreamingAsync(EchoMethods.Duplex, requests))
            {
                received.Add(reply.Text);
            }
        });

        Assert.Equal(["a"], received);
        Assert.Equal(StatusCode.FailedPrecondition, ex.Status);
    }

    [Fact]
    public async Task Leaving_a_server_stream_early_resets_it_and_the_channel_stays_usable()
    {
        var request = new EchoMessage { ResponseCount = 1, ResponseSize = 1 };
        await foreach (var reply in Client.ServerStreamingAsync(EchoMethods.ServerStream, new EchoMessage { ResponseCount = 1000, ResponseSize = 64 * 1024 }))
        {
            break;
        }

        // The channel stays usable after the reset.
        var replies = await AsyncSequence.ToListAsync(Client.ServerStreamingAsync(EchoMethods.ServerStream, request));
        Assert.Single(replies);
    }
}
