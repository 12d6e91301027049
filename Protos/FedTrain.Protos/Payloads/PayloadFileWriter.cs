using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using FedTrain.Core.Aggregation;
using FedTrain.Protos.V1;
using Microsoft.Win32.SafeHandles;

namespace FedTrain.Protos.Payloads;

/// <summary>
/// Writes a chunked float32 payload straight from the network buffers into a file, checking every chunk as it
/// arrives: overflow against the header before anything is written, NaN/±Inf per value (chunk boundaries need not
/// fall on whole floats), and the SHA-256 of the whole at <see cref="Complete"/>. Process memory stays at one chunk
/// whatever the payload size; the bytes go to the page cache. Offsets are 64-bit, so payloads beyond 2 GiB work.
/// </summary>
public sealed class PayloadFileWriter : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly PayloadHeader _header;
    private readonly SafeFileHandle _file;
    private readonly byte[] _partialFloat = new byte[sizeof(float)];
    private int _partialLength;
    private long _received;

    /// <param name="header">The stream's header.</param>
    /// <param name="file">Where the bytes go, written at offsets 0 … total − 1; the caller owns the handle.</param>
    /// <param name="expectedBytes">The size the receiver expects (e.g. the model's parameter count × 4).</param>
    public PayloadFileWriter(PayloadHeader header, SafeFileHandle file, long expectedBytes)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(file);
        PayloadHeaderCheck.Validate(header, expectedBytes);
        _header = header;
        _file = file;
    }

    public long ReceivedBytes => _received;

    /// <summary>Checks and writes the next chunk.</summary>
    /// <exception cref="PayloadException">Too many bytes, or a non-finite value; nothing of this chunk is written.</exception>
    public void Append(ReadOnlySpan<byte> chunk)
    {
        PayloadHeaderCheck.RequireRoom(_header, _received, chunk.Length);

        CheckFinite(chunk, _received);
        _hash.AppendData(chunk);
        RandomAccess.Write(_file, chunk, _received);
        _received += chunk.Length;
    }

    /// <summary>
    /// Checks and writes the next chunk from the buffers it arrived in, segment by segment: no copy and no allocation.
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
            CheckFinite(segment.Span, offset);
            offset += segment.Length;
        }

        foreach (var segment in chunk)
        {
            _hash.AppendData(segment.Span);
            RandomAccess.Write(_file, segment.Span, _received);
            _received += segment.Length;
        }
    }

    /// <summary>Checks that all bytes arrived and hash to the header's checksum.</summary>
    public void Complete() => PayloadHeaderCheck.RequireComplete(_header, _received, _hash);

    public void Dispose() => _hash.Dispose();

    /// <param name="chunk">The next bytes of the payload.</param>
    /// <param name="offset">Where <paramref name="chunk"/> starts in the payload.</param>
    private void CheckFinite(ReadOnlySpan<byte> chunk, long offset)
    {
        long firstFloat = (offset - _partialLength) / sizeof(float);
        var rest = chunk;
        int partial = _partialLength;
        if (partial > 0)
        {
            // A float split across chunks: finish it from this chunk's first bytes.
            int take = Math.Min(sizeof(float) - partial, rest.Length);
            rest[..take].CopyTo(_partialFloat.AsSpan(partial));
            rest = rest[take..];
            partial += take;
            if (partial == sizeof(float))
            {
                float value = MemoryMarshal.Read<float>(_partialFloat);
                if (!float.IsFinite(value))
                {
                    throw NonFinite(value, firstFloat);
                }

                firstFloat++;
                partial = 0;
            }
        }

        int whole = rest.Length / sizeof(float) * sizeof(float);
        var floats = MemoryMarshal.Cast<byte, float>(rest[..whole]);
        long bad = UpdateChecks.IndexOfNonFinite(floats);
        if (bad >= 0)
        {
            throw NonFinite(floats[(int)bad], firstFloat + bad);
        }

        // Only now, with the chunk accepted, does the split float's state move on.
        rest[whole..].CopyTo(_partialFloat.AsSpan(partial));
        _partialLength = partial + (rest.Length - whole);
    }

    private static PayloadException NonFinite(float value, long index) =>
        new(PayloadError.NonFinite, $"Update holds a non-finite value ({value}) at parameter {index}.");
}
