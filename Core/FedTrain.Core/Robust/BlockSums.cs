using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FedTrain.Core.Robust;

/// <summary>
/// Sums of squares and squared distances with a fixed reduction order: float32 vector lanes inside each block of
/// <see cref="BlockLength"/> coordinates, lanes then blocks added in float64, always in the same order. The result
/// depends only on the values and on where the blocks start, never on the memory address or on how the caller cut
/// the vector into ranges (TensorPrimitives' reductions peel to an aligned address first, so their rounding can
/// change with the buffer a range happens to land in).
/// </summary>
internal static class BlockSums
{
    /// <summary>Coordinates per block: 16 KiB of floats, small enough that float32 lanes lose nothing that matters
    /// (≈ 512 terms per lane), large enough that the float64 fold costs nothing.</summary>
    public const int BlockLength = 4096;

    /// <summary>Σx² over the whole span, block by block from its start.</summary>
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        double total = 0;
        for (int start = 0; start < x.Length; start += BlockLength)
        {
            total += BlockSumOfSquares(x.Slice(start, Math.Min(BlockLength, x.Length - start)));
        }

        return total;
    }

    /// <summary>Σx² over one block (at most a few thousand elements).</summary>
    public static double BlockSumOfSquares(ReadOnlySpan<float> x) => BlockSquaredDistance(x, default, subtract: false);

    /// <summary>Σ(x − y)² over one block.</summary>
    public static double BlockSquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> y) => BlockSquaredDistance(x, y, subtract: true);

    // Long loops run in few calls: compiled optimised on the first call rather than after tiering (see FoldKernels).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double BlockSquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> y, bool subtract)
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        int length = x.Length;
        int i = 0;
        double total = 0;
        if (Vector.IsHardwareAccelerated && length >= 2 * Vector<float>.Count)
        {
            // Two accumulators hide the add latency; their order of use is fixed, so the sum is reproducible.
            var a0 = Vector<float>.Zero;
            var a1 = Vector<float>.Zero;
            int step = 2 * Vector<float>.Count;
            for (; i <= length - step; i += step)
            {
                var e0 = Vector.LoadUnsafe(ref xs, (nuint)i);
                var e1 = Vector.LoadUnsafe(ref xs, (nuint)(i + Vector<float>.Count));
                if (subtract)
                {
                    e0 -= Vector.LoadUnsafe(ref ys, (nuint)i);
                    e1 -= Vector.LoadUnsafe(ref ys, (nuint)(i + Vector<float>.Count));
                }

                a0 += e0 * e0;
                a1 += e1 * e1;
            }

            var lanes = a0 + a1;
            for (int lane = 0; lane < Vector<float>.Count; lane++)
            {
                total += lanes[lane];
            }
        }

        float tail = 0;
        for (; i < length; i++)
        {
            float e = subtract ? Unsafe.Add(ref xs, i) - Unsafe.Add(ref ys, i) : Unsafe.Add(ref xs, i);
            tail += e * e;
        }

        return total + tail;
    }
}
