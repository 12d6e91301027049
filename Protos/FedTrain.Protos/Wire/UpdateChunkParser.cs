using System.Buffers;
using FedTrain.Protos.V1;

namespace FedTrain.Protos.Wire;

/// <summary>
/// Parses a serialized <see cref="UpdateChunk"/> without copying its data (see <see cref="ChunkWire"/>). The result
/// equals <c>UpdateChunk.Parser.ParseFrom</c>, and whatever that parser refuses is refused here too.
/// </summary>
public static class UpdateChunkParser
{
    /// <summary>Parses one message; the returned data slice is valid as long as <paramref name="message"/> is.</summary>
    /// <exception cref="Grpc.Core.RpcException">INTERNAL for malformed protobuf, as the typed request parsing answers it.</exception>
    public static UpdateChunkView Parse(ReadOnlySequence<byte> message)
    {
        var content = ChunkWire.Parse<UploadHeader>(message, nameof(UpdateChunk), out var header, out var data);
        return new UpdateChunkView((UpdateChunk.ContentOneofCase)content, header, data);
    }
}
