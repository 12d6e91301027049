using System.Buffers;
using Google.Protobuf;

namespace FedTrain.Protos.Wire;

/// <summary>
/// Parses a chunk message (<c>oneof content { THeader header = 1; bytes data = 2; }</c>: <c>UpdateChunk</c>,
/// <c>ModelChunk</c>) in place, with the result <c>Parser.ParseFrom</c> would give: last oneof member wins, repeated
/// headers merge, unknown fields are skipped, and whatever that parser refuses is refused here too.
/// </summary>
internal static class ChunkWire
{
    private static readonly uint HeaderTag = WireFormat.MakeTag(1, WireFormat.WireType.LengthDelimited);
    private static readonly uint DataTag = WireFormat.MakeTag(2, WireFormat.WireType.LengthDelimited);

    /// <param name="message">The serialised chunk; <paramref name="data"/> is a slice of it.</param>
    /// <param name="messageName">The chunk message's name, for the refusal of malformed input.</param>
    /// <exception cref="Grpc.Core.RpcException">INTERNAL for malformed protobuf, as typed parsing answers it.</exception>
    public static ChunkContent Parse<THeader>(ReadOnlySequence<byte> message, string messageName, out THeader? header, out ReadOnlySequence<byte> data)
        where THeader : class, IMessage, new()
    {
        var content = ChunkContent.None;
        header = null;
        data = default;
        try
        {
            var reader = new ProtoWireReader(message);
            uint tag;
            while ((tag = reader.ReadTag()) != 0)
            {
                if (tag == HeaderTag)
                {
                    var bytes = reader.ReadLengthDelimited();
                    // A repeated header merges into the one before it, unless data replaced it in between.
                    if (content != ChunkContent.Header || header is null)
                    {
                        header = new THeader();
                    }

                    header.MergeFrom(bytes);
                    content = ChunkContent.Header;
                    data = default;
                }
                else if (tag == DataTag)
                {
                    data = reader.ReadLengthDelimited();
                    content = ChunkContent.Data;
                    header = null;
                }
                else
                {
                    reader.SkipField(tag);
                }
            }
        }
        catch (InvalidDataException ex)
        {
            throw Transport.ProtobufMarshaller.Malformed(messageName, ex.Message, ex);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw Transport.ProtobufMarshaller.Malformed(messageName, ex.Message, ex);
        }

        return content;
    }
}
