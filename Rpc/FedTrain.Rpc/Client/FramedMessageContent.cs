using System.Buffers;
using System.Net;
using Google.Protobuf;

namespace FedTrain.Rpc;

/// <summary>
/// The body of a unary or server-streaming request: one length-prefixed message and END_STREAM.
/// It serializes on demand into a pooled buffer, so a retried send works and no buffer outlives the write.
/// </summary>
internal sealed class FramedMessageContent : HttpContent
{
    private readonly IMessage _message;
    private readonly int _size;

    public FramedMessageContent(IMessage message)
    {
        _message = message;
        _size = GrpcFrame.CheckedSize(message, maxMessageSize: null);
        Headers.ContentType = new(GrpcProtocol.ContentType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var length = GrpcFrame.HeaderSize + _size;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            GrpcFrame.WriteHeader(buffer, _size);
            _message.WriteTo(buffer.AsSpan(GrpcFrame.HeaderSize, _size));
            await stream.WriteAsync(buffer.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = GrpcFrame.HeaderSize + _size;
        return true;
    }
}
