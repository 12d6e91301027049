using System.Buffers;
using System.Net;
using Google.Protobuf;

namespace FedTrain.Rpc;

/// <summary>
/// The body of a client-streaming or duplex request: each message is written and flushed as it is produced,
/// and returning from <see cref="SerializeToStreamAsync(Stream, TransportContext?, CancellationToken)"/> sends
/// END_STREAM (the client's half-close).
/// </summary>
internal sealed class StreamingRequestContent<T> : HttpContent
    where T : class, IMessage<T>
{
    private readonly IAsyncEnumerable<T> _requests;
    private readonly CancellationToken _callToken;
    private int _started;

    public StreamingRequestContent(IAsyncEnumerable<T> requests, CancellationToken callToken)
    {
        _requests = requests;
        _callToken = callToken;
        Headers.ContentType = new(GrpcProtocol.ContentType);
    }

    /// <summary>What the caller's request sequence threw, if anything; it is rethrown to the caller as is.</summary>
    public Exception? RequestStreamError { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        // The caller's sequence may not be replayable, so a second send (an HTTP-level retry) must fail.
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("A streaming request body cannot be sent twice.");
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _callToken);
        var token = linked.Token;
        var enumerator = _requests.GetAsyncEnumerator(token);
        try
        {
            while (await MoveNextAsync(enumerator, token))
            {
                var message = enumerator.Current ?? throw new InvalidOperationException("A request message was null.");
                await WriteFrameAsync(stream, message, token);
            }
        }
        finally
        {
            await enumerator.DisposeAsync();
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }

    private static async Task WriteFrameAsync(Stream stream, T message, CancellationToken cancellationToken)
    {
        var size = GrpcFrame.CheckedSize(message, maxMessageSize: null);
        var length = GrpcFrame.HeaderSize + size;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            GrpcFrame.WriteHeader(buffer, size);
            message.WriteTo(buffer.AsSpan(GrpcFrame.HeaderSize, size));
            await stream.WriteAsync(buffer.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // Without a flush the message may sit in the handler's buffer, which stalls ping-pong duplex calls.
        await stream.FlushAsync(cancellationToken);
    }

    private async ValueTask<bool> MoveNextAsync(IAsyncEnumerator<T> enumerator, CancellationToken cancellationToken)
    {
        try
        {
            return await enumerator.MoveNextAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            RequestStreamError = ex;
            throw;
        }
    }
}
