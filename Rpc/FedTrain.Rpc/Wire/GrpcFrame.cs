using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;

namespace FedTrain.Rpc;

/// <summary>
/// The gRPC length-prefixed message: [1 byte compressed flag][4 bytes big-endian length][payload].
/// HTTP/2 DATA frame boundaries have no relation to these, so parsing works on a <see cref="ReadOnlySequence{T}"/>.
/// </summary>
internal static class GrpcFrame
{
    public const int HeaderSize = 5;

    /// <summary>
    /// Takes one complete message off the front of <paramref name="buffer"/>. Returns false when more bytes are needed.
    /// The length prefix is checked against the limit as soon as it is visible, before the payload is buffered.
    /// </summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED for an oversized prefix, INTERNAL for an invalid flag.</exception>
    public static bool TryRead(
        ref ReadOnlySequence<byte> buffer,
        int maxMessageSize,
        out bool compressed,
        out ReadOnlySequence<byte> payload)
    {
        compressed = false;
        payload = default;
        if (buffer.Length < HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        var flag = header[0];
        if (flag > 1)
        {
            throw new RpcException(StatusCode.Internal, $"Invalid gRPC message compression flag {flag}.");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)maxMessageSize)
        {
            throw new RpcException(
                StatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {maxMessageSize})");
        }

        if (buffer.Length - HeaderSize < length)
        {
            return false;
        }

        compressed = flag == 1;
        payload = buffer.Slice(HeaderSize, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>Serializes <paramref name="message"/> straight into <paramref name="writer"/> behind an uncompressed prefix.</summary>
    public static void Write(IBufferWriter<byte> writer, IMessage message, int? maxMessageSize)
    {
        var size = CheckedSize(message, maxMessageSize);
        WriteHeader(writer.GetSpan(HeaderSize), size);
        writer.Advance(HeaderSize);
        if (size > 0)
        {
            message.WriteTo(writer);
        }
    }

    /// <summary>The size of the payload, checked against the send limit (null = unlimited).</summary>
    public static int CheckedSize(IMessage message, int? maxMessageSize)
    {
        var size = message.CalculateSize();
        if (maxMessageSize is { } max && size > max)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Sent message larger than max ({size} vs. {max})");
        }

        return size;
    }

    public static void WriteHeader(Span<byte> destination, int payloadSize)
    {
        destination[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)payloadSize);
    }
}
