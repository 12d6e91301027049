using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;

namespace FedTrain.Rpc;

/// <summary>
/// Reads length-prefixed messages from a pipe: the server's request body or the client's response stream.
/// Messages are parsed straight from the pipe's buffer, before it is released.
/// </summary>
internal sealed class MessageReader
{
    private readonly PipeReader _reader;
    private readonly int _maxMessageSize;
    private readonly string? _encoding;
    private readonly long? _maxStreamSize;
    private long _streamBytes;

    /// <param name="encoding">The sender's <c>grpc-encoding</c>; null or <c>identity</c> when it sent none.</param>
    /// <param name="maxStreamSize">Largest total of framed bytes over the whole stream; null for no limit.</param>
    public MessageReader(PipeReader reader, int maxMessageSize, string? encoding, long? maxStreamSize = null)
    {
        _reader = reader;
        _maxMessageSize = maxMessageSize;
        _maxStreamSize = maxStreamSize;
        _encoding = encoding is null || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase) ? null : encoding;
    }

    /// <summary>The next message, or null at a clean end of stream.</summary>
    /// <exception cref="RpcException">INTERNAL for a truncated or unparsable message, RESOURCE_EXHAUSTED over the limit.</exception>
    public async ValueTask<T?> ReadAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.End;
            try
            {
                if (GrpcFrame.TryRead(ref buffer, _maxMessageSize, out var compressed, out var payload))
                {
                    consumed = examined = buffer.Start;
                    _streamBytes += GrpcFrame.HeaderSize + payload.Length;
                    if (_streamBytes > _maxStreamSize)
                    {
                        throw new RpcException(
                            StatusCode.ResourceExhausted, $"Received stream larger than max ({_streamBytes} vs. {_maxStreamSize} bytes)");
                    }

                    return Parse(parser, payload, compressed);
                }

                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        throw new RpcException(StatusCode.Internal, "The stream ended in the middle of a message.");
                    }

                    return null;
                }

                if (result.IsCanceled)
                {
                    throw new OperationCanceledException("The read was canceled.", cancellationToken);
                }
            }
            finally
            {
                _reader.AdvanceTo(consumed, examined);
            }
        }
    }

    public ValueTask CompleteAsync() => _reader.CompleteAsync();

    private T Parse<T>(MessageParser<T> parser, ReadOnlySequence<byte> payload, bool compressed)
        where T : class, IMessage<T>
    {
        if (!compressed)
        {
            return ParseOrThrow(parser, payload);
        }

        if (_encoding is null)
        {
            throw new RpcException(StatusCode.Internal, "A compressed message arrived without a grpc-encoding.");
        }

        if (!MessageDecompressor.IsSupported(_encoding))
        {
            throw new RpcException(
                StatusCode.Unimplemented, $"Unsupported grpc-encoding '{_encoding}'; supported: {GrpcProtocol.AcceptEncodingValue}.");
        }

        var inflated = MessageDecompressor.Decompress(payload, _encoding, _maxMessageSize, out var length);
        try
        {
            return ParseOrThrow(parser, new ReadOnlySequence<byte>(inflated, 0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(inflated);
        }
    }

    private static T ParseOrThrow<T>(MessageParser<T> parser, ReadOnlySequence<byte> payload)
        where T : class, IMessage<T>
    {
        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(StatusCode.Internal, $"Failed to parse a {typeof(T).Name} message: {ex.Message}", null, ex);
        }
    }
}
