using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;

namespace FedTrain.Rpc;

/// <summary>
/// Reads length-prefixed messages from a pipe: the server's request body or the client's response stream.
/// Messages are parsed straight from the pipe's buffer, before it is released. <see cref="MoveNextAsync"/> lends a
/// message's raw bytes instead, for callers that parse them by hand without copying.
/// </summary>
internal sealed class MessageReader
{
    private readonly PipeReader _reader;
    private readonly int _maxMessageSize;
    private readonly string? _encoding;
    private readonly long? _maxStreamSize;
    private readonly int? _maxDecompressionRatio;
    private readonly MessagePacing? _pacing;
    private long _streamBytes;

    // When the first bytes of a message that is not yet complete arrived (null between messages), how many are
    // buffered and the length its prefix declares (0 until the prefix is complete).
    private DateTimeOffset? _partialSince;
    private long _partialReceived;
    private long _partialLength;

    // A lent message: the pipe stays unadvanced past it (or its inflated copy stays rented) until the next read.
    private SequencePosition? _lentEnd;
    private byte[]? _inflated;

    /// <param name="encoding">The sender's <c>grpc-encoding</c>; null or <c>identity</c> when it sent none.</param>
    /// <param name="maxStreamSize">Largest total of framed bytes over the whole stream; null for no limit.</param>
    /// <param name="maxDecompressionRatio">Largest inflated-to-compressed ratio past 64 KiB inflated; null for no limit.</param>
    /// <param name="pacing">The minimum data rate of a message once it has started; null for none.</param>
    public MessageReader(
        PipeReader reader, int maxMessageSize, string? encoding, long? maxStreamSize = null, int? maxDecompressionRatio = null, MessagePacing? pacing = null)
    {
        _reader = reader;
        _maxMessageSize = maxMessageSize;
        _maxStreamSize = maxStreamSize;
        _maxDecompressionRatio = maxDecompressionRatio;
        _pacing = pacing;
        _encoding = encoding is null || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase) ? null : encoding;
    }

    /// <summary>
    /// The payload of the message <see cref="MoveNextAsync"/> found, decompressed. It is borrowed from the pipe's
    /// buffers (or a pooled buffer) and valid only until the next read or <see cref="Release"/>.
    /// </summary>
    public ReadOnlySequence<byte> Current { get; private set; }

    /// <summary>The next message, or null at a clean end of stream.</summary>
    /// <exception cref="RpcException">INTERNAL for a truncated or unparsable message, RESOURCE_EXHAUSTED over the limit.</exception>
    public async ValueTask<T?> ReadAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        if (!await MoveNextAsync(cancellationToken))
        {
            return null;
        }

        try
        {
            return ParseOrThrow(parser, Current);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>
    /// Moves to the next message and lends its payload as <see cref="Current"/>; false at a clean end of stream.
    /// The previous message's buffers are released first.
    /// </summary>
    /// <exception cref="RpcException">INTERNAL for a truncated message or bad compression, RESOURCE_EXHAUSTED over a limit.</exception>
    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        Release();
        while (true)
        {
            var result = _partialSince is null ? await _reader.ReadAsync(cancellationToken) : await ReadPacedAsync(cancellationToken);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.End;
            var lent = false;
            try
            {
                if (GrpcFrame.TryRead(ref buffer, _maxMessageSize, out var compressed, out var payload))
                {
                    _partialSince = null;
                    consumed = examined = buffer.Start;
                    _streamBytes += GrpcFrame.HeaderSize + payload.Length;
                    if (_streamBytes > _maxStreamSize)
                    {
                        throw new RpcException(
                            StatusCode.ResourceExhausted, $"Received stream larger than max ({_streamBytes} vs. {_maxStreamSize} bytes)");
                    }

                    if (compressed)
                    {
                        // The inflated copy is ours, so the pipe can move on at once.
                        _inflated = Inflate(payload, out var length);
                        Current = new ReadOnlySequence<byte>(_inflated, 0, length);
                        return true;
                    }

                    Current = payload;
                    _lentEnd = consumed;
                    lent = true;
                    return true;
                }

                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        throw new RpcException(StatusCode.Internal, "The stream ended in the middle of a message.");
                    }

                    return false;
                }

                if (result.IsCanceled)
                {
                    throw new OperationCanceledException("The read was canceled.", cancellationToken);
                }

                if (_pacing is not null && !buffer.IsEmpty)
                {
                    _partialSince ??= _pacing.Time.GetUtcNow();
                    _partialReceived = buffer.Length;
                    _partialLength = DeclaredLength(buffer);
                }
            }
            finally
            {
                if (!lent)
                {
                    _reader.AdvanceTo(consumed, examined);
                }
            }
        }
    }

    /// <summary>Gives back the buffers of the message last lent; <see cref="Current"/> is empty afterwards.</summary>
    public void Release()
    {
        Current = default;
        if (_lentEnd is { } end)
        {
            _lentEnd = null;
            _reader.AdvanceTo(end);
        }

        if (_inflated is { } inflated)
        {
            _inflated = null;
            ArrayPool<byte>.Shared.Return(inflated);
        }
    }

    public ValueTask CompleteAsync()
    {
        Release();
        return _reader.CompleteAsync();
    }

    /// <summary>Waits for more of a started message, no longer than the minimum data rate allows.</summary>
    private async ValueTask<ReadResult> ReadPacedAsync(CancellationToken cancellationToken)
    {
        var pacing = _pacing!;
        long received = _partialReceived;
        long length = _partialLength;
        var remaining = pacing.DeadlineFor(_partialSince!.Value, length) - pacing.Time.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            throw pacing.TooSlow(received, length);
        }

        using var timeout = new CancellationTokenSource(remaining, pacing.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await _reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw pacing.TooSlow(received, length);
        }
    }

    private static long DeclaredLength(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < GrpcFrame.HeaderSize)
        {
            return 0;
        }

        Span<byte> header = stackalloc byte[GrpcFrame.HeaderSize];
        buffer.Slice(0, GrpcFrame.HeaderSize).CopyTo(header);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
    }

    private byte[] Inflate(ReadOnlySequence<byte> payload, out int length)
    {
        if (_encoding is null)
        {
            throw new RpcException(StatusCode.Internal, "A compressed message arrived without a grpc-encoding.");
        }

        if (!MessageDecompressor.IsSupported(_encoding))
        {
            throw new RpcException(
                StatusCode.Unimplemented, $"Unsupported grpc-encoding '{_encoding}'; supported: {GrpcProtocol.AcceptEncodingValue}.");
        }

        return MessageDecompressor.Decompress(payload, _encoding, _maxMessageSize, out length, _maxDecompressionRatio);
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
