using System.IO.Compression;
using FedTrain.Rpc.Tests.Echo;
using FedTrain.Rpc.Tests.Support;
using Google.Protobuf;

namespace FedTrain.Rpc.Tests.InProcess;

/// <summary>
/// Client streams served through <see cref="GrpcRouter.MapClientStreamingPayloads"/>: the handler is lent each
/// message's bytes from Kestrel's buffers, with the framing, limits and decompression of the typed path.
/// </summary>
public sealed class RawPayloadTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private const int MiB = 1024 * 1024;
    private readonly HttpClient _client = RawGrpc.CreateClient();

    [Fact]
    public async Task Each_message_is_lent_whole_and_in_order_straight_from_the_transport_segments()
    {
        var requests = Enumerable.Range(0, 10).Select(i => new EchoMessage { Text = i.ToString(System.Globalization.CultureInfo.InvariantCulture), Payload = Filled(MiB, i) }).ToArray();

        var reply = await fixture.Channel.ClientStreamingAsync(EchoMethods.RawClientStream, AsyncSequence.From(requests));

        Assert.Equal(10, reply.Count);
        Assert.Equal(10L * MiB, reply.TotalBytes);
        Assert.Equal("0,1,2,3,4,5,6,7,8,9", reply.Text);
        for (int i = 0; i < requests.Length; i++)
        {
            Assert.Equal(requests[i].CalculateSize(), reply.Values[2 * i]);
            // A 1 MiB message spans many of Kestrel's pooled blocks: it was not gathered into one array.
            Assert.True(reply.Values[(2 * i) + 1] > 1, $"message {i} came in {reply.Values[(2 * i) + 1]} segment(s)");
        }
    }

    [Fact]
    public async Task Empty_and_no_messages_are_handled()
    {
        var none = await fixture.Channel.ClientStreamingAsync(EchoMethods.RawClientStream, AsyncSequence.From<EchoMessage>([]));
        var empty = await fixture.Channel.ClientStreamingAsync(EchoMethods.RawClientStream, AsyncSequence.From([new EchoMessage(), new EchoMessage()]));

        Assert.Equal(0, none.Count);
        Assert.Equal(2, empty.Count);
        Assert.Equal([0f, 0f], empty.Values.Where((_, i) => i % 2 == 0)); // zero-byte messages
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public async Task Compressed_messages_are_lent_inflated(string encoding)
    {
        var message = new EchoMessage { Text = "squeezed", Payload = ByteString.CopyFrom(new byte[100_000]) };
        byte[] body = [.. RawGrpc.Frame(Compress(message.ToByteArray(), encoding), flag: 1), .. RawGrpc.Frame(new EchoMessage { Text = "plain" })];

        var response = await RawGrpc.SendAsync(_client, fixture.Server.Address, EchoMethods.RawClientStream.FullName, body, headers: [("grpc-encoding", encoding)]);

        Assert.Equal(StatusCode.OK, response.Status);
        Assert.Equal("squeezed,plain", response.SingleReply!.Text);
        Assert.Equal(100_000, response.SingleReply.TotalBytes);
    }

    public static TheoryData<string, byte[], StatusCode> BrokenStreams => new()
    {
        { "a message over the limit", [.. RawGrpc.Frame(new EchoMessage { Text = "ok" }), 0x00, 0x00, 0x50, 0x00, 0x00], StatusCode.ResourceExhausted },
        { "a stream cut inside a message", [.. RawGrpc.Frame(new EchoMessage { Text = "ok" }), 0x00, 0x00, 0x00, 0x00, 0x10, 0x0A], StatusCode.Internal },
        { "an invalid flag", [.. RawGrpc.Frame(new EchoMessage { Text = "ok" }), 0x07, 0x00, 0x00, 0x00, 0x00], StatusCode.Internal },
        { "compressed without grpc-encoding", RawGrpc.Frame([1, 2, 3], flag: 1), StatusCode.Internal },
        { "a message the handler cannot parse", RawGrpc.Frame([0x0A, 0xFF, 0x01]), StatusCode.Internal },
    };

    [Theory]
    [MemberData(nameof(BrokenStreams))]
    public async Task Broken_streams_end_with_a_status_and_the_server_stays_up(string name, byte[] body, StatusCode expected)
    {
        var response = await RawGrpc.SendAsync(_client, fixture.Server.Address, EchoMethods.RawClientStream.FullName, body);

        Assert.True(expected == response.Status, $"{name}: {response.Status} {response.Message}");
        var reply = await fixture.Channel.ClientStreamingAsync(EchoMethods.RawClientStream, AsyncSequence.From([new EchoMessage { Text = "still up" }]));
        Assert.Equal("still up", reply.Text);
    }

    [Fact]
    public async Task A_handler_error_mid_stream_is_the_status()
    {
        var requests = new[] { new EchoMessage { Text = "a" }, new EchoMessage { FailCode = (int)StatusCode.Aborted, FailMessage = "enough" } };

        var ex = await Assert.ThrowsAsync<RpcException>(() => fixture.Channel.ClientStreamingAsync(EchoMethods.RawClientStream, AsyncSequence.From(requests)));

        Assert.Equal(StatusCode.Aborted, ex.Status);
        Assert.Equal("enough", ex.Detail);
    }

    public void Dispose() => _client.Dispose();

    private static ByteString Filled(int length, int value)
    {
        var bytes = new byte[length];
        Array.Fill(bytes, (byte)value);
        return ByteString.CopyFrom(bytes);
    }

    private static byte[] Compress(byte[] payload, string encoding)
    {
        using var compressed = new MemoryStream();
        using (Stream compressor = encoding == "gzip" ? new GZipStream(compressed, CompressionLevel.Fastest, true) : new ZLibStream(compressed, CompressionLevel.Fastest, true))
        {
            compressor.Write(payload);
        }

        return compressed.ToArray();
    }
}
