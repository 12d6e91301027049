using System.Buffers;
using FedTrain.Protos.V1;
using Grpc.Core;
using Google.Protobuf;

namespace FedTrain.Protos.Wire;

/// <summary>
/// Parses a serialized <see cref="UpdateChunk"/> without copying its data: an upload's megabytes of parameters stay
/// in the transport's buffers until they are written to the spool file. The result equals
/// <c>UpdateChunk.Parser.ParseFrom</c> (last oneof member wins, repeated headers merge, unknown fields skipped),
/// and whatever that parser refuses is refused here too.
/// </summary>
public static class UpdateChunkParser
{
    private static readonly uint HeaderTag = WireFormat.MakeTag(UpdateChunk.HeaderFieldNumber, WireFormat.WireType.LengthDelimited);
    private static readonly uint DataTag = WireFormat.MakeTag(UpdateChunk.DataFieldNumber, WireFormat.WireType.LengthDelimited);

    /// <summary>Parses one message; the returned data slice is valid as long as <paramref name="message"/> is.</summary>
    /// <exception cref="RpcException">INTERNAL for malformed protobuf, as the typed request parsing answers it.</exception>
    public static UpdateChunkView Parse(ReadOnlySequence<byte> message)
    {
        var content = UpdateChunk.ContentOneofCase.None;
        UploadHeader? header = null;
        ReadOnlySequence<byte> data = default;
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
                    if (content != UpdateChunk.ContentOneofCase.Header || header is null)
                    {
                        header = new UploadHeader();
                    }

                    header.MergeFrom(bytes);
                    content = UpdateChunk.ContentOneofCase.Header;
                    data = default;
                }
                else if (tag == DataTag)
                {
                    data = reader.ReadLengthDelimited();
                    content = UpdateChunk.ContentOneofCase.Data;
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
            throw Malformed(ex.Message, ex);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw Malformed(ex.Message, ex);
        }

        return new UpdateChunkView(content, header, data);
    }

    private static RpcException Malformed(string detail, Exception inner) => ReceivedUpdateChunk.Malformed(detail, inner);
}
