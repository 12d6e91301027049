using System.Runtime.InteropServices;
using FedTrain.Protos.V1;

namespace FedTrain.Protos.Payloads;

/// <summary>
/// Reassembles a chunked float32 payload into a caller-owned float buffer, hashing as it goes, and refuses
/// anything that does not match its header: overflow is caught on the chunk that causes it, before it is
/// copied. Chunk boundaries need not fall on whole floats. Offsets are 64-bit, so payloads beyond 2 GiB work.
/// </summary>
public sealed class PayloadAssembler : IDisposable
{
    private readonly PayloadIntegrity _checksum;
    private readonly PayloadHeader _header;
    private readonly float[] _destination;
    private long _received;

    /// <param name="header">The stream's header.</param>
    /// <param name="destination">Where the floats go; at least <c>header.ParameterCount</c> long.</param>
    /// <param name="expectedBytes">The size the receiver expects (e.g. the model's parameter count × 4).</param>
    public PayloadAssembler(PayloadHeader header, float[] destination, long expectedBytes)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(destination);
        if (header.Encoding != PayloadEncoding.Float32)
        {
            // Models are downloaded as float32; only updates may be compressed.
            throw new PayloadException(PayloadError.BadHeader, $"A model payload must be float32, not {header.Encoding}.");
        }

        PayloadHeaderCheck.Validate(header, expectedBytes);
        if (destination.LongLength * sizeof(float) < header.TotalBytes)
        {
            throw new ArgumentException("Destination is smaller than the payload.", nameof(destination));
        }

        _header = header;
        _checksum = new PayloadIntegrity(header);
        _destination = destination;
    }

    public long ReceivedBytes => _received;

    public void Append(ReadOnlySpan<byte> chunk)
    {
        PayloadHeaderCheck.RequireRoom(_header, _received, chunk.Length);

        _checksum.Append(chunk);
        while (!chunk.IsEmpty)
        {
            // View only the floats this chunk touches: a byte view of the whole buffer would exceed 2 GiB.
            long element = _received / sizeof(float);
            int within = (int)(_received % sizeof(float));
            int elements = (int)Math.Min(_destination.LongLength - element, ((long)within + chunk.Length + 3) / sizeof(float));
            var target = MemoryMarshal.AsBytes(_destination.AsSpan((int)element, elements))[within..];
            int length = Math.Min(target.Length, chunk.Length);
            chunk[..length].CopyTo(target);
            chunk = chunk[length..];
            _received += length;
        }
    }

    /// <summary>Checks that all bytes arrived and hash to the header's checksum.</summary>
    public void Complete() => PayloadHeaderCheck.RequireComplete(_header, _received, _checksum);

    public void Dispose() => _checksum.Dispose();
}
