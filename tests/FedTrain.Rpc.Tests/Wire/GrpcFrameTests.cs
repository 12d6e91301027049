using System.Buffers;
using FedTrain.Rpc.Tests.Echo;
using FedTrain.TestSupport;
using Google.Protobuf;

namespace FedTrain.Rpc.Tests.Wire;

public sealed class GrpcFrameTests
{
    private static byte[] Frames(params EchoMessage[] messages)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach (var message in messages)
        {
            GrpcFrame.Write(writer, message, maxMessageSize: null);
        }

        return writer.WrittenSpan.ToArray();
    }

    private static List<EchoMessage> ReadAll(ReadOnlySequence<byte> buffer, int max = 1 << 20)
    {
        var result = new List<EchoMessage>();
        while (GrpcFrame.TryRead(ref buffer, max, out var compressed, out var payload))
        {
            Assert.False(compressed);
            result.Add(EchoMessage.Parser.ParseFrom(payload));
        }

        Assert.Equal(0, buffer.Length);
        return result;
    }

    [Fact]
    public void Write_produces_flag_then_big_endian_length_then_payload()
    {
        var message = new EchoMessage { Text = "hi" };
        var bytes = Frames(message);

        Assert.Equal(new byte[] { 0, 0, 0, 0, 4, 0x0A, 2, (byte)'h', (byte)'i' }, bytes);
    }

    [Fact]
    public void Empty_message_is_a_bare_prefix()
    {
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0 }, Frames(new EchoMessage()));
        Assert.Single(ReadAll(new ReadOnlySequence<byte>(new byte[5])));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(64)]
    public void Messages_split_across_segments_of_any_size_are_reassembled(int segmentSize)
    {
        var messages = Enumerable.Range(0, 5)
            .Select(i => new EchoMessage { Text = new string('x', i * 13), Payload = ByteString.CopyFrom(new byte[i * 31]), Values = { i, i * 0.5f } })
            .ToArray();
        var bytes = Frames(messages);

        var read = ReadAll(SegmentedSequence.Chunked(bytes, segmentSize));

        Assert.Equal(messages, read);
    }

    [Fact]
    public void Every_single_cut_position_is_handled()
    {
        var bytes = Frames(new EchoMessage { Text = "abc" }, new EchoMessage { Payload = ByteString.CopyFrom(1, 2, 3) });
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            Assert.Equal(2, ReadAll(SegmentedSequence.Create(bytes, cut, cut + 3)).Count);
        }
    }

    [Fact]
    public void Incomplete_data_asks_for_more_and_leaves_the_buffer_untouched()
    {
        var bytes = Frames(new EchoMessage { Text = "hello" });
        for (var length = 0; length < bytes.Length; length++)
        {
            var buffer = SegmentedSequence.Create(bytes[..length], 1, 3);
            Assert.False(GrpcFrame.TryRead(ref buffer, 100, out _, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void Oversized_length_prefix_is_refused_before_the_payload_arrives()
    {
        // Only the 5-byte prefix is present: the limit check must not wait for 10 MiB of payload.
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0x00, 0xA0, 0x00, 0x00 });

        var ex = Assert.Throws<RpcException>(() => GrpcFrame.TryRead(ref buffer, 4 * 1024 * 1024, out _, out _));

        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
        Assert.Equal("Received message larger than max (10485760 vs. 4194304)", ex.Detail);
    }

    [Fact]
    public void Maximum_uint_length_does_not_overflow()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0xFF, 0xFF, 0xFF, 0xFF });

        var ex = Assert.Throws<RpcException>(() => GrpcFrame.TryRead(ref buffer, int.MaxValue, out _, out _));

        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
    }

    [Fact]
    public void A_message_exactly_at_the_limit_is_accepted()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 0, 3, 1, 2, 3 });

        Assert.True(GrpcFrame.TryRead(ref buffer, 3, out _, out var payload));
        Assert.Equal(3, payload.Length);
    }

    [Fact]
    public void Invalid_compression_flag_is_internal()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 7, 0, 0, 0, 0 });

        Assert.Equal(StatusCode.Internal, Assert.Throws<RpcException>(() => GrpcFrame.TryRead(ref buffer, 10, out _, out _)).Status);
    }

    [Fact]
    public void Compressed_flag_is_reported()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 1, 0, 0, 0, 1, 9 });

        Assert.True(GrpcFrame.TryRead(ref buffer, 10, out var compressed, out _));
        Assert.True(compressed);
    }

    [Fact]
    public void Send_limit_is_enforced_before_writing()
    {
        var writer = new ArrayBufferWriter<byte>();
        var message = new EchoMessage { Payload = ByteString.CopyFrom(new byte[100]) };

        var ex = Assert.Throws<RpcException>(() => GrpcFrame.Write(writer, message, maxMessageSize: 50));

        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
        Assert.StartsWith("Sent message larger than max (102 vs. 50)", ex.Detail, StringComparison.Ordinal);
        Assert.Equal(0, writer.WrittenCount);
    }
}
