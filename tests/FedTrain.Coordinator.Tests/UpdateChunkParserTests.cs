using System.Buffers;
using System.Runtime.InteropServices;
using FedTrain.Protos.V1;
using FedTrain.Protos.Wire;
using Grpc.Core;
using FedTrain.TestSupport;
using Google.Protobuf;

namespace FedTrain.Coordinator.Tests;

/// <summary>
/// The hand parser of <see cref="UpdateChunk"/> against Google.Protobuf's generated one: same result on every
/// input the generated parser accepts, a refusal (INTERNAL) on every input it refuses, whatever the segmentation.
/// </summary>
public sealed class UpdateChunkParserTests
{
    private static readonly UploadHeader SampleHeader = new()
    {
        WorkerId = "worker-7",
        ClientId = "client-00003",
        RunId = "run-1",
        Round = 12,
        ModelVersion = 11,
        ExampleCount = 480,
        Payload = new PayloadHeader { TotalBytes = 40, ParameterCount = 10, ChunkBytes = 16, Sha256 = ByteString.CopyFrom(new byte[32]) },
    };

    [Fact]
    public void A_header_chunk_parses_to_the_same_header()
    {
        var view = Parse(new UpdateChunk { Header = SampleHeader }.ToByteArray());

        Assert.Equal(UpdateChunk.ContentOneofCase.Header, view.Content);
        Assert.Equal(SampleHeader, view.Header);
        Assert.True(view.Data.IsEmpty);
    }

    [Fact]
    public void A_data_chunk_lends_its_bytes_from_the_input_without_copying()
    {
        byte[] data = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        byte[] message = new UpdateChunk { Data = ByteString.CopyFrom(data) }.ToByteArray();

        var view = Parse(message);

        Assert.Equal(UpdateChunk.ContentOneofCase.Data, view.Content);
        Assert.Null(view.Header);
        Assert.Equal(data, view.Data.ToArray());
        Assert.True(MemoryMarshal.TryGetArray(view.Data.First, out var segment));
        Assert.Same(message, segment.Array);
        Assert.Equal(message.Length - data.Length, segment.Offset);
    }

    [Fact]
    public void An_empty_message_has_no_content()
    {
        var view = Parse([]);

        Assert.Equal(UpdateChunk.ContentOneofCase.None, view.Content);
        Assert.Null(view.Header);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public void Messages_split_across_segments_of_any_size_parse_the_same(int segmentBytes)
    {
        byte[] data = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        foreach (var chunk in new[] { new UpdateChunk { Header = SampleHeader }, new UpdateChunk { Data = ByteString.CopyFrom(data) } })
        {
            byte[] bytes = WithUnknownFields(chunk.ToByteArray());
            var view = UpdateChunkParser.Parse(SegmentedSequence.Chunked(bytes, segmentBytes));
            AssertSame(UpdateChunk.Parser.ParseFrom(bytes), view);
        }
    }

    [Fact]
    public void Every_two_segment_split_of_a_message_parses_the_same()
    {
        byte[] bytes = WithUnknownFields(new UpdateChunk { Data = ByteString.CopyFrom(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }) }.ToByteArray());
        var expected = UpdateChunk.Parser.ParseFrom(bytes);
        for (int cut = 1; cut < bytes.Length; cut++)
        {
            AssertSame(expected, UpdateChunkParser.Parse(SegmentedSequence.Create(bytes, cut)));
        }
    }

    [Fact]
    public void Unknown_fields_of_every_wire_type_are_skipped_before_between_and_after_the_known_ones()
    {
        byte[] data = [10, 20, 30, 40];
        byte[] bytes = Concat(
            UnknownFields(),
            new UpdateChunk { Header = SampleHeader }.ToByteArray(),
            UnknownFields(),
            new UpdateChunk { Data = ByteString.CopyFrom(data) }.ToByteArray(),
            UnknownFields());

        var view = Parse(bytes);

        Assert.Equal(UpdateChunk.ContentOneofCase.Data, view.Content);
        Assert.Equal(data, view.Data.ToArray());
        AssertSame(UpdateChunk.Parser.ParseFrom(bytes), view);
    }

    [Fact]
    public void A_known_field_number_with_another_wire_type_is_an_unknown_field()
    {
        // Field 2 as a varint and field 1 as fixed32: not the bytes and message fields the schema declares.
        byte[] bytes = Concat([0x10, 0x96, 0x01, 0x0D, 1, 2, 3, 4], new UpdateChunk { Header = SampleHeader }.ToByteArray());

        AssertSame(UpdateChunk.Parser.ParseFrom(bytes), Parse(bytes));
        Assert.Equal(SampleHeader, Parse(bytes).Header);
    }

    [Fact]
    public void The_last_oneof_member_wins_and_consecutive_headers_merge()
    {
        byte[] header1 = new UpdateChunk { Header = new UploadHeader { WorkerId = "w", Round = 3 } }.ToByteArray();
        byte[] header2 = new UpdateChunk { Header = new UploadHeader { RunId = "r", Round = 4 } }.ToByteArray();
        byte[] data1 = new UpdateChunk { Data = ByteString.CopyFrom(1, 2) }.ToByteArray();
        byte[] data2 = new UpdateChunk { Data = ByteString.CopyFrom(3, 4, 5) }.ToByteArray();
        byte[][] cases =
        [
            Concat(header1, header2),
            Concat(header1, data1),
            Concat(data1, header1),
            Concat(data1, data2),
            Concat(header1, data1, header2),
        ];

        foreach (byte[] bytes in cases)
        {
            AssertSame(UpdateChunk.Parser.ParseFrom(bytes), Parse(bytes));
        }

        Assert.Equal(new UploadHeader { WorkerId = "w", RunId = "r", Round = 4 }, Parse(Concat(header1, header2)).Header);
        Assert.Equal(new UploadHeader { RunId = "r", Round = 4 }, Parse(Concat(header1, data1, header2)).Header);
        Assert.Equal(new byte[] { 3, 4, 5 }, Parse(Concat(data1, data2)).Data.ToArray());
    }

    [Fact]
    public void Every_truncation_of_a_message_is_refused_exactly_when_the_generated_parser_refuses_it()
    {
        byte[] bytes = WithUnknownFields(new UpdateChunk { Header = SampleHeader }.ToByteArray());
        for (int length = 0; length < bytes.Length; length++)
        {
            AssertAgrees(bytes[..length]);
        }
    }

    [Theory]
    [InlineData("12 FF FF FF FF 0F")]                      // data with length 2^32 − 1: a negative 32-bit size
    [InlineData("12 80 80 80 80 08 00")]                   // data with length 2^31
    [InlineData("12 FF FF FF 7F 00 01 02")]                // data claiming 268 MB of a few bytes
    [InlineData("0A 05 08 01")]                            // header longer than what is left
    [InlineData("12 80 80 80 80 80 80 80 80 80 80 01")]    // an 11-byte length varint
    [InlineData("18 FF FF FF FF FF FF FF FF FF FF 01")]    // an 11-byte varint in an unknown field
    [InlineData("18")]                                     // an unknown varint field cut before its value
    [InlineData("21 01 02 03")]                            // fixed64 cut short
    [InlineData("25 01 02")]                               // fixed32 cut short
    [InlineData("00")]                                     // tag 0
    [InlineData("07 00")]                                  // field number 0, wire type 7
    [InlineData("1E 00")]                                  // wire type 6
    [InlineData("1F 00")]                                  // wire type 7
    [InlineData("1C")]                                     // an end-group tag without its group
    [InlineData("1B 08 01")]                               // a group that never ends
    [InlineData("1B 24")]                                  // a group closed by another field's end tag
    [InlineData("0A 02 1C 00")]                            // an end-group tag inside the header
    public void Malformed_input_is_refused_as_internal_exactly_when_the_generated_parser_refuses_it(string hex)
    {
        byte[] bytes = Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

        Assert.ThrowsAny<InvalidProtocolBufferException>(() => UpdateChunk.Parser.ParseFrom(bytes));
        var refusal = Assert.Throws<RpcException>(() => Parse(bytes));
        Assert.Equal(StatusCode.Internal, refusal.StatusCode);
        Assert.StartsWith("Failed to parse a UpdateChunk message", refusal.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Groups_nested_up_to_the_recursion_limit_are_skipped_and_deeper_ones_refused()
    {
        static byte[] Nested(int depth) => [.. Enumerable.Repeat((byte)0x1B, depth), .. Enumerable.Repeat((byte)0x1C, depth)];

        Assert.Equal(UpdateChunk.ContentOneofCase.None, Parse(Nested(50)).Content);
        foreach (int depth in new[] { 1, 50, RecursionLimit - 1, RecursionLimit, RecursionLimit + 1, 1000 })
        {
            AssertAgrees(Nested(depth));
        }

        Assert.Throws<RpcException>(() => Parse(Nested(RecursionLimit + 1)));
    }

    [Fact]
    public void Seeded_mutations_of_valid_chunks_get_the_same_verdict_and_content_as_the_generated_parser()
    {
        var random = new Random(20261201);
        byte[][] seeds =
        [
            new UpdateChunk { Header = SampleHeader }.ToByteArray(),
            new UpdateChunk { Data = ByteString.CopyFrom(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray()) }.ToByteArray(),
            WithUnknownFields(new UpdateChunk { Data = ByteString.CopyFrom(1, 2, 3) }.ToByteArray()),
        ];
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = new List<byte>(seeds[random.Next(seeds.Length)]);
            for (int edit = random.Next(1, 4); edit > 0; edit--)
            {
                int position = random.Next(bytes.Count + 1);
                switch (random.Next(3))
                {
                    case 0 when position < bytes.Count:
                        bytes[position] = (byte)random.Next(256);
                        break;
                    case 1 when position < bytes.Count:
                        bytes.RemoveAt(position);
                        break;
                    default:
                        bytes.Insert(position, (byte)random.Next(256));
                        break;
                }
            }

            AssertAgrees([.. bytes], segmentBytes: 1 + random.Next(16));
        }
    }

    // Google.Protobuf's default recursion limit, which the hand parser follows for skipped groups.
    private const int RecursionLimit = 100;

    private static UpdateChunkView Parse(byte[] bytes) => UpdateChunkParser.Parse(new ReadOnlySequence<byte>(bytes));

    /// <summary>Both parsers accept with the same content, or both refuse.</summary>
    private static void AssertAgrees(byte[] bytes, int segmentBytes = 3)
    {
        UpdateChunk? expected;
        try
        {
            expected = UpdateChunk.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            expected = null;
        }

        if (expected is null)
        {
            var refusal = Assert.Throws<RpcException>(() => UpdateChunkParser.Parse(SegmentedSequence.Chunked(bytes, segmentBytes)));
            Assert.Equal(StatusCode.Internal, refusal.StatusCode);
        }
        else
        {
            AssertSame(expected, UpdateChunkParser.Parse(SegmentedSequence.Chunked(bytes, segmentBytes)));
        }
    }

    private static void AssertSame(UpdateChunk expected, UpdateChunkView actual)
    {
        Assert.Equal(expected.ContentCase, actual.Content);
        switch (expected.ContentCase)
        {
            case UpdateChunk.ContentOneofCase.Header:
                Assert.Equal(expected.Header, actual.Header);
                break;
            case UpdateChunk.ContentOneofCase.Data:
                Assert.Equal(expected.Data.ToByteArray(), actual.Data.ToArray());
                break;
        }
    }

    /// <summary>One field of every wire type, with numbers the schema does not use (a group holding a nested group).</summary>
    private static byte[] UnknownFields()
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(3, WireFormat.WireType.Varint);
        output.WriteUInt64(ulong.MaxValue);
        output.WriteTag(4, WireFormat.WireType.Fixed64);
        output.WriteFixed64(0x0102030405060708);
        output.WriteTag(5, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(9, 8, 7));
        output.WriteTag(6, WireFormat.WireType.StartGroup);
        output.WriteTag(7, WireFormat.WireType.Varint);
        output.WriteInt32(-1);
        output.WriteTag(8, WireFormat.WireType.StartGroup);
        output.WriteTag(8, WireFormat.WireType.EndGroup);
        output.WriteTag(6, WireFormat.WireType.EndGroup);
        output.WriteTag(1000, WireFormat.WireType.Fixed32);
        output.WriteFixed32(42);
        output.Flush();
        return stream.ToArray();
    }

    private static byte[] WithUnknownFields(byte[] message) => Concat(UnknownFields(), message, UnknownFields());

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
