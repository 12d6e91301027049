using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FedTrain.Core.Compression;

/// <summary>
/// The non-finite checks of encoded updates, made on the encoded values as they arrive: a float16 NaN/±Inf bit
/// pattern, or an int8 block scale that would decode to NaN/±Inf. Int8 values themselves are always finite.
/// </summary>
public static class EncodedUpdateChecks
{
    /// <summary>Largest usable int8 scale: −128 × scale must still be a finite float.</summary>
    public const float MaxInt8Scale = float.MaxValue / 128;

    // float16: exponent bits all ones means ±Inf (mantissa 0) or NaN.
    private const ushort HalfExponent = 0x7C00;

    /// <summary>Index of the first NaN or ±Inf float16 in <paramref name="values"/>, or -1 when all are finite.</summary>
    // Long loops run in few calls: compiled optimised on the first call rather than after tiering (see FoldKernels).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long IndexOfNonFinite(ReadOnlySpan<Half> values)
    {
        var bits = MemoryMarshal.Cast<Half, ushort>(values);
        int i = 0;
        if (Vector.IsHardwareAccelerated && bits.Length >= Vector<ushort>.Count)
        {
            var exponent = new Vector<ushort>(HalfExponent);
            var vectors = MemoryMarshal.Cast<ushort, Vector<ushort>>(bits);
            for (int v = 0; v < vectors.Length; v++)
            {
                if (Vector.EqualsAny(vectors[v] & exponent, exponent))
                {
                    break;
                }

                i = (v + 1) * Vector<ushort>.Count;
            }
        }

        for (; i < bits.Length; i++)
        {
            if ((bits[i] & HalfExponent) == HalfExponent)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Index of the first int8 block scale that is NaN, ±Inf or above <see cref="MaxInt8Scale"/> in magnitude, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long IndexOfUnusableScale(ReadOnlySpan<float> scales)
    {
        for (int i = 0; i < scales.Length; i++)
        {
            if (!(Math.Abs(scales[i]) <= MaxInt8Scale))
            {
                return i;
            }
        }

        return -1;
    }
}
