using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Compression;

namespace FedTrain.Protos.Payloads;

/// <summary>
/// Finds values that would decode to NaN or ±Inf, or outside the model, in a payload arriving chunk by chunk whose
/// boundaries need not fall on whole values: float32 values, float16 values, the float32 block scales at the head of
/// an int8 payload (its int8 values are always finite, so they need no look), or a top-k payload's offsets (inside
/// their block, increasing) and float32 values.
/// </summary>
internal sealed class PayloadValueScanner
{
    private readonly Region[] _regions;
    private readonly long _parameterCount;
    private readonly int _keptPerBlock;
    private readonly byte[] _partial = new byte[sizeof(float)];
    private int _partialLength;
    private int _previousOffset;

    public PayloadValueScanner(UpdateEncoding encoding, long parameterCount, long totalBytes)
    {
        _parameterCount = parameterCount;
        _regions = encoding switch
        {
            UpdateEncoding.Float16 => [new Region(0, parameterCount * 2, 2, Kind.Float16)],
            UpdateEncoding.Int8 => [new Region(0, EncodedLayout.Int8ValuesOffset(parameterCount), sizeof(float), Kind.Int8Scales)],
            UpdateEncoding.TopK => TopKRegions(totalBytes),
            _ => [new Region(0, parameterCount * sizeof(float), sizeof(float), Kind.Float32)],
        };
        if (encoding == UpdateEncoding.TopK)
        {
            _keptPerBlock = EncodedLayout.TopKKeptPerBlockOfSize(parameterCount, totalBytes);
        }
    }

    private enum Kind
    {
        Float32,
        Float16,
        Int8Scales,
        TopKOffsets,
        TopKValues,
    }

    /// <summary>Checks the next bytes of the payload.</summary>
    /// <param name="chunk">The bytes.</param>
    /// <param name="offset">Where <paramref name="chunk"/> starts in the payload.</param>
    /// <exception cref="PayloadException">A value that completes in this chunk is (or decodes to) NaN or ±Inf, or is a top-k offset out of place.</exception>
    public void Check(ReadOnlySpan<byte> chunk, long offset)
    {
        foreach (var region in _regions)
        {
            long from = Math.Max(offset, region.Start);
            long to = Math.Min(offset + chunk.Length, region.End);
            if (from < to)
            {
                // Regions end on whole values, so a value split across chunks never spans two regions.
                CheckRegion(region, chunk[(int)(from - offset)..(int)(to - offset)], from - region.Start);
            }
        }
    }

    private static Region[] TopKRegions(long totalBytes)
    {
        long entries = totalBytes / EncodedLayout.TopKEntryBytes;
        long offsetBytes = entries * sizeof(ushort);
        return
        [
            new Region(0, offsetBytes, sizeof(ushort), Kind.TopKOffsets),
            new Region(offsetBytes, offsetBytes + (entries * sizeof(float)), sizeof(float), Kind.TopKValues),
        ];
    }

    private void CheckRegion(Region region, ReadOnlySpan<byte> rest, long offsetInRegion)
    {
        int width = region.Width;
        long first = (offsetInRegion - _partialLength) / width;
        int partial = _partialLength;
        if (partial > 0)
        {
            // A value split across chunks: finish it from this chunk's first bytes.
            int take = Math.Min(width - partial, rest.Length);
            rest[..take].CopyTo(_partial.AsSpan(partial));
            rest = rest[take..];
            partial += take;
            if (partial == width)
            {
                CheckWhole(region.Kind, _partial.AsSpan(0, width), first);
                first++;
                partial = 0;
            }
        }

        int whole = rest.Length / width * width;
        CheckWhole(region.Kind, rest[..whole], first);

        // Only now, with the chunk accepted, does the split value's state move on.
        rest[whole..].CopyTo(_partial.AsSpan(partial));
        _partialLength = partial + (rest.Length - whole);
    }

    private void CheckWhole(Kind kind, ReadOnlySpan<byte> values, long first)
    {
        switch (kind)
        {
            case Kind.Float16:
                var halves = MemoryMarshal.Cast<byte, Half>(values);
                if (EncodedUpdateChecks.IndexOfNonFinite(halves) is >= 0 and long half)
                {
                    throw NonFinite($"a non-finite float16 value ({halves[(int)half]})", first + half);
                }

                break;
            case Kind.Int8Scales:
                var scales = MemoryMarshal.Cast<byte, float>(values);
                if (EncodedUpdateChecks.IndexOfUnusableScale(scales) is >= 0 and long block)
                {
                    throw new PayloadException(
                        PayloadError.NonFinite,
                        $"Update's int8 block {first + block} (parameters from {(first + block) * EncodedLayout.Int8BlockSize}) has scale {scales[(int)block]}, which decodes to non-finite values.");
                }

                break;
            case Kind.TopKOffsets:
                CheckTopKOffsets(MemoryMarshal.Cast<byte, ushort>(values), first);
                break;
            case Kind.TopKValues:
                var kept = MemoryMarshal.Cast<byte, float>(values);
                if (UpdateChecks.IndexOfNonFinite(kept) is >= 0 and long entry)
                {
                    throw new PayloadException(PayloadError.NonFinite, $"Update holds a non-finite value ({kept[(int)entry]}) at top-k entry {first + entry}.");
                }

                break;
            default:
                var floats = MemoryMarshal.Cast<byte, float>(values);
                if (UpdateChecks.IndexOfNonFinite(floats) is >= 0 and long bad)
                {
                    throw NonFinite($"a non-finite value ({floats[(int)bad]})", first + bad);
                }

                break;
        }
    }

    // Each offset must lie in its block and follow the one before it in the block, so that decoding writes every
    // parameter at most once and only its own block's.
    // Long loops run in few calls: compiled optimised on the first call rather than after tiering (see FoldKernels).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CheckTopKOffsets(ReadOnlySpan<ushort> offsets, long first)
    {
        for (int i = 0; i < offsets.Length; i++)
        {
            long entry = first + i;
            long block = entry / _keptPerBlock;
            long blockLength = Math.Min(EncodedLayout.TopKBlockSize, _parameterCount - (block * EncodedLayout.TopKBlockSize));
            int offset = offsets[i];
            if (offset >= blockLength)
            {
                throw new PayloadException(
                    PayloadError.BadEncoding,
                    $"Update's top-k entry {entry} has offset {offset}, outside its block {block} of {blockLength} parameters.");
            }

            if (entry % _keptPerBlock != 0 && offset <= _previousOffset)
            {
                throw new PayloadException(
                    PayloadError.BadEncoding,
                    $"Update's top-k entry {entry} has offset {offset}, not above the entry before it ({_previousOffset}): offsets must increase within block {block}.");
            }

            _previousOffset = offset;
        }
    }

    private static PayloadException NonFinite(string what, long index) =>
        new(PayloadError.NonFinite, $"Update holds {what} at parameter {index}.");

    private readonly record struct Region(long Start, long End, int Width, Kind Kind);
}
