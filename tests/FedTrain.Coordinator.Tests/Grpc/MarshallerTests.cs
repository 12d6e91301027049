using System.Buffers;
using FedTrain.Protos.Transport;
using FedTrain.Protos.V1;
using FedTrain.Protos.Wire;
using FedTrain.TestSupport;
using Google.Protobuf;
using Grpc.Core;

namespace FedTrain.Coordinator.Tests.Grpc;

/// <summary>
/// The marshallers the coordinator's gRPC methods are bound with: protobuf messages written straight into the
/// transport's buffer and parsed from its segments, and upload chunks received into pooled buffers; malformed input
/// is refused INTERNAL, as gRPC answers a message it cannot parse.
/// </summary>
public sealed class MarshallerTests
{
    private static readonly UploadHeader Header = new()
    {
        WorkerId = "worker-7",
        RunId = "run-1",
        Round = 3,
        ModelVersion = 2,
        ExampleCount = 480,
        Payload = new PayloadHeader { TotalBytes = 40, ParameterCount = 10, ChunkBytes = 16, Sha256 = ByteString.CopyFrom(new byte[32]) },
    };

    [Fact]
    public void A_protobuf_message_round_trips_through_the_transports_buffers()
    {
        var marshaller = ProtobufMarshaller.For(RegisterRequest.Parser);
        var request = new RegisterRequest { WorkerId = "w", Version = new string('v', 5000), Data = new DataSummary { ExampleCount = 10 } };
        var serialized = new Serialized();

        marshaller.ContextualSerializer(request, serialized);
        var bytes = serialized.Written.WrittenMemory.ToArray();
        var parsed = marshaller.ContextualDeserializer(new Received(SegmentedSequence.Chunked(bytes, 7)));

        Assert.Equal(request.CalculateSize(), serialized.DeclaredLength);
        Assert.True(serialized.Completed);
        Assert.Equal(request.ToByteArray(), bytes);
        Assert.Equal(request, parsed);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })] // a truncated varint tag
    [InlineData(new byte[] { 0x0A, 0x05, 0x61 })] // worker_id declaring 5 bytes, 1 present
    [InlineData(new byte[] { 0x0A, 0x02, 0xC3, 0x28 })] // worker_id that is not UTF-8
    [InlineData(new byte[] { 0x0F })] // wire type 7
    public void A_malformed_message_is_refused_INTERNAL_naming_its_type(byte[] bytes)
    {
        var marshaller = ProtobufMarshaller.For(RegisterRequest.Parser);

        var error = Assert.Throws<RpcException>(() => marshaller.ContextualDeserializer(new Received(new ReadOnlySequence<byte>(bytes))));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.StartsWith("Failed to parse a RegisterRequest message: ", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_received_header_chunk_carries_the_header_and_no_data()
    {
        byte[] bytes = new UpdateChunk { Header = Header }.ToByteArray();

        using var chunk = ReceivedChunkMarshaller.For<UploadHeader>(nameof(UpdateChunk)).ContextualDeserializer(new Received(SegmentedSequence.Chunked(bytes, 3)));

        Assert.Equal(ChunkContent.Header, chunk.Content);
        Assert.Equal(Header, chunk.Header);
        Assert.Equal(0, chunk.Length);
        Assert.True(chunk.Data.IsEmpty);
    }

    [Fact]
    public void A_received_data_chunk_holds_a_copy_of_the_bytes_until_disposed_and_disposing_twice_is_safe()
    {
        byte[] data = [.. Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7))];
        byte[] bytes = new UpdateChunk { Data = ByteString.CopyFrom(data) }.ToByteArray();

        var chunk = ReceivedChunkMarshaller.For<UploadHeader>(nameof(UpdateChunk)).ContextualDeserializer(new Received(SegmentedSequence.Chunked(bytes, 4096)));
        Array.Clear(bytes); // the transport reuses its buffers once the deserializer returns

        Assert.Equal(ChunkContent.Data, chunk.Content);
        Assert.Null(chunk.Header);
        Assert.Equal(data.Length, chunk.Length);
        Assert.Equal(data, chunk.Data.ToArray());
        chunk.Dispose();
        chunk.Dispose();
        Assert.True(chunk.Data.IsEmpty);
    }

    [Fact]
    public void An_empty_data_chunk_rents_nothing()
    {
        using var chunk = ReceivedChunkMarshaller.For<UploadHeader>(nameof(UpdateChunk)).ContextualDeserializer(new Received(new ReadOnlySequence<byte>(new byte[] { 0x12, 0x00 })));

        Assert.Equal(ChunkContent.Data, chunk.Content);
        Assert.Equal(0, chunk.Length);
        Assert.True(chunk.Data.IsEmpty);
    }

    [Fact]
    public void A_malformed_chunk_is_refused_INTERNAL_and_received_chunks_are_never_sent()
    {
        var error = Assert.Throws<RpcException>(() => ReceivedChunkMarshaller.For<UploadHeader>(nameof(UpdateChunk)).ContextualDeserializer(
            new Received(new ReadOnlySequence<byte>(new byte[] { 0x12, 0x10, 1, 2 }))));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.StartsWith("Failed to parse a UpdateChunk message: ", error.Status.Detail, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => ReceivedChunkMarshaller.For<UploadHeader>(nameof(UpdateChunk)).ContextualSerializer(null!, new Serialized()));
    }

    /// <summary>A received message as the transport hands it to a deserializer.</summary>
    private sealed class Received(ReadOnlySequence<byte> payload) : DeserializationContext
    {
        public override int PayloadLength => checked((int)payload.Length);

        public override byte[] PayloadAsNewBuffer() => payload.ToArray();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => payload;
    }

    /// <summary>The transport's side of serialising: the declared length, the buffer, completion.</summary>
    private sealed class Serialized : SerializationContext
    {
        public ArrayBufferWriter<byte> Written { get; } = new();

        public int DeclaredLength { get; private set; } = -1;

        public bool Completed { get; private set; }

        public override void SetPayloadLength(int payloadLength) => DeclaredLength = payloadLength;

        public override IBufferWriter<byte> GetBufferWriter() => Written;

        public override void Complete() => Completed = true;

        public override void Complete(byte[] payload) => throw new InvalidOperationException("The buffer writer is to be used.");
    }
}
