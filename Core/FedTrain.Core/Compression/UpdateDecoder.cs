using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FedTrain.Core.Aggregation;

namespace FedTrain.Core.Compression;

/// <summary>
/// The one place encoded updates become float32 again: every reader of an uploaded update (checks, FedAvg fold,
/// robust rules, DP clipping) goes through <see cref="ReadRange"/>, via <see cref="SpooledUpdate"/>.
/// </summary>
public static class UpdateDecoder
{
    // Parameters decoded per pass: bounds the pooled byte buffers (and keeps byte offsets within an int).
    private const int SliceElements = 1 << 18;

    // float32 is read straight into the destination, in slices only because a byte view of more than 2^29 floats
    // would overflow a span's length.
    private const int Float32SliceElements = 1 << 26;

    /// <summary>float16 bytes (2 per value) to floats; NaN and ±Inf bit patterns decode to NaN and ±Inf.</summary>
    public static void DecodeFloat16(ReadOnlySpan<byte> encoded, Span<float> destination) =>
        TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(encoded)[..destination.Length], destination);

    /// <summary>One int8 block's (or part of one's) values times the block's scale.</summary>
    public static void DecodeInt8(ReadOnlySpan<byte> encoded, float scale, Span<float> destination)
    {
        TensorPrimitives.ConvertTruncating<sbyte, float>(MemoryMarshal.Cast<byte, sbyte>(encoded)[..destination.Length], destination);
        TensorPrimitives.Multiply(destination, scale, destination);
    }

    /// <summary>Decodes parameters [<paramref name="start"/>, start + destination.Length) of an encoded update.</summary>
    /// <param name="source">The encoded bytes, laid out as <see cref="EncodedLayout"/> says.</param>
    /// <param name="encoding">Their encoding.</param>
    /// <param name="parameterCount">P, the update's number of parameters.</param>
    /// <param name="start">First parameter to decode.</param>
    /// <param name="destination">Receives the decoded values.</param>
    /// <param name="keptPerBlock">Top-k only: m, the entries each block holds.</param>
    public static void ReadRange(IByteRangeReader source, UpdateEncoding encoding, long parameterCount, long start, Span<float> destination, int keptPerBlock = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        ParameterRanges.CheckRange(start, destination.Length, parameterCount);
        if (encoding == UpdateEncoding.TopK)
        {
            for (int done = 0; done < destination.Length; done += SliceElements)
            {
                var slice = destination.Slice(done, Math.Min(SliceElements, destination.Length - done));
                ReadTopKSlice(source, parameterCount, keptPerBlock, start + done, slice);
            }

            return;
        }

        if (encoding == UpdateEncoding.Float32)
        {
            for (int done = 0; done < destination.Length; done += Float32SliceElements)
            {
                var slice = destination.Slice(done, Math.Min(Float32SliceElements, destination.Length - done));
                source.ReadExactly((start + done) * sizeof(float), MemoryMarshal.AsBytes(slice));
            }

            return;
        }

        byte[] bytes = ArrayPool<byte>.Shared.Rent(SliceElements * 2);
        try
        {
            for (int done = 0; done < destination.Length; done += SliceElements)
            {
                var slice = destination.Slice(done, Math.Min(SliceElements, destination.Length - done));
                if (encoding == UpdateEncoding.Float16)
                {
                    var encoded = bytes.AsSpan(0, slice.Length * 2);
                    source.ReadExactly((start + done) * 2, encoded);
                    DecodeFloat16(encoded, slice);
                }
                else
                {
                    ReadInt8Slice(source, parameterCount, start + done, slice, bytes);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Decodes a whole encoded update held in memory.</summary>
    public static void Decode(ReadOnlySpan<byte> encoded, UpdateEncoding encoding, Span<float> destination)
    {
        if (!EncodedLayout.IsPossibleSize(encoding, destination.Length, encoded.Length))
        {
            throw new ArgumentException($"{encoded.Length} bytes are not a {UpdateCompression.FormatName(encoding)} encoding of {destination.Length} values.", nameof(encoded));
        }

        switch (encoding)
        {
            case UpdateEncoding.Float32:
                MemoryMarshal.Cast<byte, float>(encoded).CopyTo(destination);
                break;
            case UpdateEncoding.Float16:
                DecodeFloat16(encoded, destination);
                break;
            case UpdateEncoding.TopK:
                if (!destination.IsEmpty)
                {
                    int m = EncodedLayout.TopKKeptPerBlockOfSize(destination.Length, encoded.Length);
                    int entries = encoded.Length / EncodedLayout.TopKEntryBytes;
                    destination.Clear();
                    ScatterTopK(
                        MemoryMarshal.Cast<byte, ushort>(encoded[..(entries * sizeof(ushort))]),
                        MemoryMarshal.Cast<byte, float>(encoded[(entries * sizeof(ushort))..]),
                        m,
                        firstBlock: 0,
                        start: 0,
                        destination);
                }

                break;
            default:
                var scales = MemoryMarshal.Cast<byte, float>(encoded[..(int)EncodedLayout.Int8ValuesOffset(destination.Length)]);
                var values = encoded[(int)EncodedLayout.Int8ValuesOffset(destination.Length)..];
                for (int b = 0; b < scales.Length; b++)
                {
                    int from = b * EncodedLayout.Int8BlockSize;
                    int count = Math.Min(EncodedLayout.Int8BlockSize, destination.Length - from);
                    DecodeInt8(values.Slice(from, count), scales[b], destination.Slice(from, count));
                }

                break;
        }
    }

    /// <summary>
    /// Two reads: the offsets of the entries of the blocks the range touches, then their values; then a scatter into
    /// the zeroed range.
    /// </summary>
    private static void ReadTopKSlice(IByteRangeReader source, long parameterCount, int keptPerBlock, long start, Span<float> destination)
    {
        const int block = EncodedLayout.TopKBlockSize;
        long entries = EncodedLayout.TopKEntryCount(parameterCount, keptPerBlock);
        long firstBlock = start / block;
        long lastBlock = (start + destination.Length - 1) / block;
        long firstEntry = firstBlock * keptPerBlock;
        int count = (int)(Math.Min((lastBlock + 1) * keptPerBlock, entries) - firstEntry);
        byte[] bytes = ArrayPool<byte>.Shared.Rent(count * EncodedLayout.TopKEntryBytes);
        try
        {
            var offsetBytes = bytes.AsSpan(0, count * sizeof(ushort));
            var valueBytes = bytes.AsSpan(offsetBytes.Length, count * sizeof(float));
            source.ReadExactly(firstEntry * sizeof(ushort), offsetBytes);
            source.ReadExactly((entries * sizeof(ushort)) + (firstEntry * sizeof(float)), valueBytes);
            destination.Clear();
            ScatterTopK(MemoryMarshal.Cast<byte, ushort>(offsetBytes), MemoryMarshal.Cast<byte, float>(valueBytes), keptPerBlock, firstBlock, start, destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Writes the entries of consecutive blocks from <paramref name="firstBlock"/> that fall in [start, start + destination.Length).</summary>
    // Long loops run in few calls: compiled optimised on the first call rather than after tiering (see FoldKernels).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScatterTopK(ReadOnlySpan<ushort> offsets, ReadOnlySpan<float> values, int keptPerBlock, long firstBlock, long start, Span<float> destination)
    {
        for (int e = 0; e < offsets.Length; e++)
        {
            long index = ((firstBlock + (e / keptPerBlock)) * EncodedLayout.TopKBlockSize) + offsets[e] - start;
            if ((ulong)index < (ulong)destination.Length)
            {
                destination[(int)index] = values[e];
            }
        }
    }

    /// <summary>Two reads: the scales of the blocks the range touches, then its bytes; then one multiply per block part.</summary>
    private static void ReadInt8Slice(IByteRangeReader source, long parameterCount, long start, Span<float> destination, byte[] buffer)
    {
        const int block = EncodedLayout.Int8BlockSize;
        long firstBlock = start / block;
        long lastBlock = (start + destination.Length - 1) / block;
        int blocks = (int)(lastBlock - firstBlock + 1);
        Span<float> scales = blocks <= 256 ? stackalloc float[blocks] : new float[blocks];
        source.ReadExactly(firstBlock * sizeof(float), MemoryMarshal.AsBytes(scales));
        var values = buffer.AsSpan(0, destination.Length);
        source.ReadExactly(EncodedLayout.Int8ValuesOffset(parameterCount) + start, values);
        int done = 0;
        for (int b = 0; b < blocks; b++)
        {
            long blockEnd = (firstBlock + b + 1) * block;
            int count = (int)Math.Min(blockEnd - (start + done), destination.Length - done);
            DecodeInt8(values.Slice(done, count), scales[b], destination.Slice(done, count));
            done += count;
        }
    }
}
