using System.Buffers;
using Google.Protobuf;
using Grpc.Core;

namespace FedTrain.Protos.Wire;

/// <summary>
/// One chunk of a payload stream as its receiver gets it: parsed in place from the transport's buffers
/// (<see cref="ChunkWire"/>), its data copied once into a buffer rented from the shared pool. The transport's
/// buffers are valid only inside the deserializer, so the one copy is the least a received chunk costs; renting
/// keeps megabyte chunks off the managed heap. Dispose returns the buffer. The coordinator receives uploads as
/// <c>ReceivedChunk&lt;UploadHeader&gt;</c>, workers receive the model as <c>ReceivedChunk&lt;PayloadHeader&gt;</c>.
/// </summary>
/// <typeparam name="THeader">The type of the chunk message's <c>header</c> member.</typeparam>
public sealed class ReceivedChunk<THeader> : IDisposable
    where THeader : class, IMessage, new()
{
    private byte[]? _rented;

    internal ReceivedChunk(ChunkContent content, THeader? header, byte[]? rented, int length)
    {
        Content = content;
        Header = header;
        _rented = rented;
        Length = length;
    }

    /// <summary>Which member of the <c>content</c> oneof the chunk carries.</summary>
    public ChunkContent Content { get; }

    /// <summary>The header when <see cref="Content"/> is <c>Header</c>; otherwise null.</summary>
    public THeader? Header { get; }

    /// <summary>Bytes of data the chunk carries.</summary>
    public int Length { get; }

    /// <summary>The chunk's data; valid until the chunk is disposed.</summary>
    public ReadOnlySpan<byte> Data => _rented is null ? default : _rented.AsSpan(0, Length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _rented, null) is { } rented)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}

/// <summary>Marshallers that receive chunk messages as <see cref="ReceivedChunk{THeader}"/>.</summary>
public static class ReceivedChunkMarshaller
{
    /// <summary>A receive-only marshaller for the chunk message named <paramref name="messageName"/>.</summary>
    public static Marshaller<ReceivedChunk<THeader>> For<THeader>(string messageName)
        where THeader : class, IMessage, new() => Marshallers.Create<ReceivedChunk<THeader>>(
        (_, _) => throw new NotSupportedException($"Received {messageName} chunks are not sent; the sender uses the typed message."),
        context => Receive<THeader>(context, messageName));

    private static ReceivedChunk<THeader> Receive<THeader>(DeserializationContext context, string messageName)
        where THeader : class, IMessage, new()
    {
        var content = ChunkWire.Parse<THeader>(context.PayloadAsReadOnlySequence(), messageName, out var header, out var data);
        if (content != ChunkContent.Data || data.IsEmpty)
        {
            return new ReceivedChunk<THeader>(content, header, null, 0);
        }

        int length = checked((int)data.Length);
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        data.CopyTo(rented);
        return new ReceivedChunk<THeader>(content, null, rented, length);
    }
}
