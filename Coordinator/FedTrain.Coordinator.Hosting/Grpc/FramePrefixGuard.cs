using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// The request body as Grpc.AspNetCore reads it, with each gRPC message's 5-byte prefix checked as it arrives: a
/// compressed flag other than 0 or 1 is refused INTERNAL and a length of 2^31 or more RESOURCE_EXHAUSTED.
/// Grpc.AspNetCore refuses lengths above its message limit with that status itself, but throws plain exceptions for
/// these two (a length that does not fit its int, an unknown flag), which reach the caller as UNKNOWN, the status of
/// a server bug. Only the prefixes are read; the bytes pass through untouched.
/// </summary>
internal sealed class FramePrefixGuard : PipeReader, IRequestBodyPipeFeature
{
    private const int PrefixBytes = 5;

    private readonly PipeReader _inner;
    private ReadOnlySequence<byte> _lastBuffer;
    private long _lastBufferStart;
    private long _nextPrefix;

    public FramePrefixGuard(PipeReader inner) => _inner = inner;

    public PipeReader Reader => this;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await _inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        Check(result.Buffer);
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!_inner.TryRead(out result))
        {
            return false;
        }

        Check(result.Buffer);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _lastBufferStart += _lastBuffer.Slice(0, consumed).Length;
        _lastBuffer = default;
        _inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);

    /// <summary>Reads every message prefix that lies wholly in <paramref name="buffer"/> and was not read before.</summary>
    private void Check(ReadOnlySequence<byte> buffer)
    {
        _lastBuffer = buffer;
        long end = _lastBufferStart + buffer.Length;
        Span<byte> prefix = stackalloc byte[PrefixBytes];
        while (_nextPrefix + PrefixBytes <= end)
        {
            buffer.Slice(_nextPrefix - _lastBufferStart, PrefixBytes).CopyTo(prefix);
            if (prefix[0] > 1)
            {
                throw new RpcException(new Status(StatusCode.Internal, "Unexpected compressed flag value in message header."));
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
            if (length > int.MaxValue)
            {
                throw new RpcException(new Status(
                    StatusCode.ResourceExhausted, $"A request message declares {length} bytes, more than any message may have."));
            }

            _nextPrefix += PrefixBytes + length;
        }
    }
}
