using System.Buffers;
using FedTrain.Protos.Transport;
using FedTrain.Protos.V1;
using Grpc.Core;

namespace FedTrain.Protos.Wire;

/// <summary>
/// One <see cref="UpdateChunk"/> as the coordinator receives it: parsed in place from the transport's buffers
/// (<see cref="UpdateChunkParser"/>), its data copied once into a buffer rented from the shared pool. The
/// transport's buffers are valid only inside the deserializer, so the one copy is the least an upload costs; renting
/// keeps a megabyte chunk off the large-object heap. Dispose returns the buffer.
/// </summary>
public sealed class ReceivedUpdateChunk : IDisposable
{
    private byte[]? _rented;

    private ReceivedUpdateChunk(UpdateChunk.ContentOneofCase content, UploadHeader? header, byte[]? rented, int length)
    {
        Content = content;
        Header = header;
        _rented = rented;
        Length = length;
    }

    /// <summary>Receives chunks; the coordinator never sends one, so serialising is refused.</summary>
    public static Marshaller<ReceivedUpdateChunk> Marshaller { get; } = Marshallers.Create<ReceivedUpdateChunk>(
        (_, _) => throw new NotSupportedException("Received chunks are not sent; workers send UpdateChunk messages."),
        Receive);

    /// <summary>Which member of the <c>content</c> oneof the chunk carries; <c>None</c> for an empty chunk.</summary>
    public UpdateChunk.ContentOneofCase Content { get; }

    /// <summary>The upload header when <see cref="Content"/> is <c>Header</c>; otherwise null.</summary>
    public UploadHeader? Header { get; }

    /// <summary>Bytes of data the chunk carries.</summary>
    public int Length { get; }

    /// <summary>The chunk's data; valid until the chunk is disposed.</summary>
    public ReadOnlySequence<byte> Data => _rented is null
        ? ReadOnlySequence<byte>.Empty
        : new ReadOnlySequence<byte>(_rented, 0, Length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _rented, null) is { } rented)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static ReceivedUpdateChunk Receive(DeserializationContext context)
    {
        var view = UpdateChunkParser.Parse(context.PayloadAsReadOnlySequence());
        if (view.Content != UpdateChunk.ContentOneofCase.Data || view.Data.IsEmpty)
        {
            return new ReceivedUpdateChunk(view.Content, view.Header, null, 0);
        }

        int length = checked((int)view.Data.Length);
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        view.Data.CopyTo(rented);
        return new ReceivedUpdateChunk(view.Content, null, rented, length);
    }

    internal static RpcException Malformed(string detail, Exception inner) => ProtobufMarshaller.Malformed(nameof(UpdateChunk), detail, inner);
}
