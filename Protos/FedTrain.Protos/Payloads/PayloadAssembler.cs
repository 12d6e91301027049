using System.Security.Cryptography;
using FedTrain.Protos.V1;

namespace FedTrain.Protos.Payloads;

/// <summary>
/// Reassembles a chunked payload into a caller-owned buffer, hashing as it goes, and refuses anything that
/// does not match its header: overflow is caught on the chunk that causes it, before it is copied.
/// </summary>
public sealed class PayloadAssembler : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly PayloadHeader _header;
    private readonly Memory<byte> _destination;
    private int _received;

    /// <param name="header">The stream's header.</param>
    /// <param name="destination">Where the bytes go; at least <c>header.TotalBytes</c> long.</param>
    /// <param name="expectedBytes">The size the receiver expects (e.g. the model's parameter count × 4).</param>
    public PayloadAssembler(PayloadHeader header, Memory<byte> destination, long expectedBytes)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (header.TotalBytes != expectedBytes || header.ParameterCount * sizeof(float) != header.TotalBytes)
        {
            throw new PayloadException(
                PayloadError.BadHeader,
                $"Payload announces {header.TotalBytes} bytes for {header.ParameterCount} parameters; expected {expectedBytes} bytes.");
        }

        if (header.Sha256.Length != 32)
        {
            throw new PayloadException(PayloadError.BadHeader, $"SHA-256 must be 32 bytes, got {header.Sha256.Length}.");
        }

        if (destination.Length < header.TotalBytes)
        {
            throw new ArgumentException("Destination is smaller than the payload.", nameof(destination));
        }

        _header = header;
        _destination = destination[..(int)header.TotalBytes];
    }

    public long ReceivedBytes => _received;

    public void Append(ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length > _destination.Length - _received)
        {
            throw new PayloadException(
                PayloadError.TooLarge,
                $"Payload exceeds its announced {_header.TotalBytes} bytes (a chunk of {chunk.Length} after {_received}).");
        }

        chunk.CopyTo(_destination.Span[_received..]);
        _hash.AppendData(chunk);
        _received += chunk.Length;
    }

    /// <summary>Checks that all bytes arrived and hash to the header's checksum.</summary>
    public void Complete()
    {
        if (_received != _destination.Length)
        {
            throw new PayloadException(
                PayloadError.Truncated, $"Payload ended after {_received} of {_header.TotalBytes} bytes.");
        }

        Span<byte> digest = stackalloc byte[32];
        _hash.GetHashAndReset(digest);
        if (!digest.SequenceEqual(_header.Sha256.Span))
        {
            throw new PayloadException(PayloadError.ChecksumMismatch, "Payload SHA-256 does not match its header.");
        }
    }

    public void Dispose() => _hash.Dispose();
}
