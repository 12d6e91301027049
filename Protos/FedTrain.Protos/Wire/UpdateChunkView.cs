using System.Buffers;
using FedTrain.Protos.V1;

namespace FedTrain.Protos.Wire;

/// <summary>
/// An <see cref="UpdateChunk"/> parsed in place: the header as a message, or the data as a slice of the received
/// bytes (valid only as long as they are).
/// </summary>
public readonly struct UpdateChunkView
{
    internal UpdateChunkView(UpdateChunk.ContentOneofCase content, UploadHeader? header, ReadOnlySequence<byte> data)
    {
        Content = content;
        Header = header;
        Data = data;
    }

    /// <summary>Which member of the <c>content</c> oneof the chunk carries; <c>None</c> for an empty chunk.</summary>
    public UpdateChunk.ContentOneofCase Content { get; }

    /// <summary>The upload header when <see cref="Content"/> is <c>Header</c>; otherwise null.</summary>
    public UploadHeader? Header { get; }

    /// <summary>The payload bytes when <see cref="Content"/> is <c>Data</c>, borrowed from the input; otherwise empty.</summary>
    public ReadOnlySequence<byte> Data { get; }
}
