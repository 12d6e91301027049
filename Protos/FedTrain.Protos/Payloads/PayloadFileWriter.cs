using System.Buffers;
using FedTrain.Protos.V1;
using Microsoft.Win32.SafeHandles;

namespace FedTrain.Protos.Payloads;

/// <summary>
/// Writes a chunked payload (float32, or a compressed encoding) straight from the network buffers into a file,
/// checking every chunk as it arrives: overflow against the header before anything is written, values that are or
/// decode to NaN/±Inf (chunk boundaries need not fall on whole values), and the checksum of the whole at
/// <see cref="Complete"/>. Process memory stays at one chunk whatever the payload size; the bytes go to the page
/// cache. Offsets are 64-bit, so payloads beyond 2 GiB work.
/// </summary>
public sealed class PayloadFileWriter : IDisposable
{
    private readonly PayloadIntegrity _checksum;
    private readonly PayloadHeader _header;
    private readonly SafeFileHandle _file;
    private readonly PayloadValueScanner _values;
    private readonly List<ReadOnlyMemory<byte>> _segments = [];
    private long _received;

    /// <param name="header">The stream's header.</param>
    /// <param name="file">Where the bytes go, written at offsets 0 … total − 1; the caller owns the handle.</param>
    /// <param name="expectedBytes">The size the receiver expects (the model's parameter count in the round's encoding).</param>
    public PayloadFileWriter(PayloadHeader header, SafeFileHandle file, long expectedBytes)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(file);
        PayloadHeaderCheck.Validate(header, expectedBytes);
        _header = header;
        _checksum = new PayloadIntegrity(header);
        _file = file;
        _values = new PayloadValueScanner(PayloadEncodings.ToCore(header.Encoding), header.ParameterCount, header.TotalBytes);
    }

    public long ReceivedBytes => _received;

    /// <summary>Checks and writes the next chunk.</summary>
    /// <exception cref="PayloadException">Too many bytes, or a non-finite value; nothing of this chunk is written.</exception>
    public void Append(ReadOnlySpan<byte> chunk)
    {
        PayloadHeaderCheck.RequireRoom(_header, _received, chunk.Length);

        _values.Check(chunk, _received);
        _checksum.Append(chunk);
        RandomAccess.Write(_file, chunk, _received);
        _received += chunk.Length;
    }

    /// <summary>
    /// Checks and writes the next chunk from the buffers it arrived in, in one gathering write: the bytes are not copied.
    /// </summary>
    /// <exception cref="PayloadException">Too many bytes, or a non-finite value; nothing of this chunk is written.</exception>
    public void Append(in ReadOnlySequence<byte> chunk)
    {
        if (chunk.IsSingleSegment)
        {
            Append(chunk.FirstSpan);
            return;
        }

        PayloadHeaderCheck.RequireRoom(_header, _received, chunk.Length);

        // Every segment is checked before any is written, so a refused chunk leaves the file as it was.
        long offset = _received;
        foreach (var segment in chunk)
        {
            _values.Check(segment.Span, offset);
            offset += segment.Length;
        }

        // One gathering write (pwritev) for the chunk's segments rather than one write per transport buffer.
        _segments.Clear();
        foreach (var segment in chunk)
        {
            _checksum.Append(segment.Span);
            _segments.Add(segment);
        }

        RandomAccess.Write(_file, _segments, _received);
        _received += chunk.Length;
    }

    /// <summary>Checks that all bytes arrived and hash to the header's checksum.</summary>
    public void Complete() => PayloadHeaderCheck.RequireComplete(_header, _received, _checksum);

    public void Dispose() => _checksum.Dispose();
}
