using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace FedTrain.Core.Compression;

/// <summary>
/// Encodes an update into the bytes of <see cref="UpdateEncoding"/>, and says what the encoding lost: the residual
/// value − decode(encode(value)) per parameter, which error feedback carries into the client's next update.
/// </summary>
/// <remarks>
/// Values beyond float16's range (±65504) become ±Inf in float16, and a NaN or ±Inf makes its int8 block's scale
/// non-finite: either way the coordinator refuses the update, as it refuses a non-finite float32 update.
/// </remarks>
public static class UpdateEncoder
{
    /// <summary>Writes <paramref name="values"/> encoded into <paramref name="destination"/>.</summary>
    /// <param name="values">The update.</param>
    /// <param name="encoding">How to encode it.</param>
    /// <param name="destination">Exactly <see cref="EncodedLayout.EncodedBytes"/> bytes; for top-k, its size sets m.</param>
    /// <param name="residual">Receives value − decoded value per parameter; empty to skip it. Must not overlap <paramref name="values"/>.</param>
    public static void Encode(ReadOnlySpan<float> values, UpdateEncoding encoding, Span<byte> destination, Span<float> residual)
    {
        if (!EncodedLayout.IsPossibleSize(encoding, values.Length, destination.Length))
        {
            string expected = encoding == UpdateEncoding.TopK ? "a whole number of entries per block" : $"{EncodedLayout.EncodedBytes(encoding, values.Length)} bytes";
            throw new ArgumentException($"{UpdateCompression.FormatName(encoding)} encoding of {values.Length} values takes {expected}, not {destination.Length} bytes.", nameof(destination));
        }

        if (!residual.IsEmpty && residual.Length != values.Length)
        {
            throw new ArgumentException($"Residual has {residual.Length} elements, the update {values.Length}.", nameof(residual));
        }

        switch (encoding)
        {
            case UpdateEncoding.Float32:
                MemoryMarshal.AsBytes(values).CopyTo(destination);
                residual.Clear();
                break;
            case UpdateEncoding.Float16:
                EncodeFloat16(values, destination, residual);
                break;
            case UpdateEncoding.TopK:
                TopKEncoder.Encode(values, EncodedLayout.TopKKeptPerBlockOfSize(values.Length, destination.Length), destination, residual);
                break;
            default:
                EncodeInt8(values, destination, residual);
                break;
        }
    }

    private static void EncodeFloat16(ReadOnlySpan<float> values, Span<byte> destination, Span<float> residual)
    {
        var halves = MemoryMarshal.Cast<byte, Half>(destination);
        TensorPrimitives.ConvertToHalf(values, halves);
        if (!residual.IsEmpty)
        {
            TensorPrimitives.ConvertToSingle(halves, residual);
            TensorPrimitives.Subtract(values, residual, residual);
        }
    }

    private static void EncodeInt8(ReadOnlySpan<float> values, Span<byte> destination, Span<float> residual)
    {
        const int block = EncodedLayout.Int8BlockSize;
        int valuesOffset = checked((int)EncodedLayout.Int8ValuesOffset(values.Length));
        var scales = MemoryMarshal.Cast<byte, float>(destination[..valuesOffset]);
        var quantised = MemoryMarshal.Cast<byte, sbyte>(destination[valuesOffset..]);
        float[] levels = ArrayPool<float>.Shared.Rent(block);
        try
        {
            for (int b = 0; b < scales.Length; b++)
            {
                int start = b * block;
                int count = Math.Min(block, values.Length - start);
                var source = values.Slice(start, count);
                var level = levels.AsSpan(0, count);
                // Symmetric: the block's largest magnitude maps to ±127, so zero stays exactly zero.
                float scale = Math.Abs(TensorPrimitives.MaxMagnitude(source)) / 127f;
                scales[b] = scale;
                if (scale > 0 && float.IsFinite(scale))
                {
                    TensorPrimitives.Divide(source, scale, level);
                    TensorPrimitives.Round<float>(level, level);
                    TensorPrimitives.Min<float>(level, 127f, level);
                    TensorPrimitives.Max<float>(level, -127f, level);
                }
                else
                {
                    // All zeros (nothing to keep), or a non-finite block whose scale makes the coordinator refuse it.
                    level.Clear();
                }

                TensorPrimitives.ConvertTruncating<float, sbyte>(level, quantised.Slice(start, count));
                if (!residual.IsEmpty)
                {
                    // The same product the decoder computes (level × scale), so worker and coordinator agree bit for bit.
                    var lost = residual.Slice(start, count);
                    TensorPrimitives.Multiply(level, scale, lost);
                    TensorPrimitives.Subtract(source, lost, lost);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(levels);
        }
    }
}
