using System.Numerics;

namespace FedTrain.Privacy;

/// <summary>
/// Flat L2 clipping of a whole update (all parameters as one vector), the per-client clipping of DP-FedAvg:
/// Δ ← Δ · min(1, C / ‖Δ‖). Bounding each client's contribution is what gives the sum a known sensitivity, so the
/// norm must never be under-estimated: it is computed in float64 throughout, and a clipped update never exceeds C.
/// </summary>
public static class L2Clipping
{
    // Squares are summed per block of this many elements, then the block sums with Neumaier's compensation: the error
    // grows with the block length plus the block count, not with the model size (below 1e-12 relative to 2^31 elements).
    private const int Block = 4096;

    /// <summary>
    /// The L2 norm of <paramref name="update"/>. Every element is widened to float64 before it is squared, so no finite
    /// element overflows (float32 squares overflow above ~1.8e19) and small elements beside large ones are not lost
    /// (float32 partial sums under-estimated a constructed vector's norm by 2e-6 relative). Relative error below 1e-12;
    /// infinity or NaN when an element is not finite.
    /// </summary>
    public static double Norm(ReadOnlySpan<float> update)
    {
        double total = 0;
        double compensation = 0;
        for (int start = 0; start < update.Length; start += Block)
        {
            double block = SumOfSquares(update.Slice(start, Math.Min(Block, update.Length - start)));
            double sum = total + block;
            compensation += Math.Abs(total) >= Math.Abs(block) ? (total - sum) + block : (block - sum) + total;
            total = sum;
        }

        return Math.Sqrt(total + compensation);
    }

    /// <summary>
    /// Scales <paramref name="update"/> in place so its L2 norm is at most <paramref name="clipNorm"/> (to within the
    /// 1e-12 relative error of <see cref="Norm"/>). Returns the norm before clipping; an update with norm ≤ C is left
    /// unchanged (it counts as unclipped).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The clip norm is not positive and finite.</exception>
    /// <exception cref="NonFiniteUpdateException">An element is NaN or infinite; the update is left unchanged.</exception>
    public static double Clip(Span<float> update, double clipNorm)
    {
        if (!double.IsFinite(clipNorm) || clipNorm <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(clipNorm), clipNorm, "The clip norm must be positive and finite.");
        }

        double norm = NormOfFinite(update);
        if (norm > clipNorm)
        {
            double scale = clipNorm / norm;
            for (int i = 0; i < update.Length; i++)
            {
                // Rounded towards zero: a product rounded up could leave the clipped vector a few float ulps above C.
                double exact = update[i] * scale;
                float rounded = (float)exact;
                update[i] = Math.Abs(rounded) > Math.Abs(exact) ? MathF.BitDecrement(Math.Abs(rounded)) * Math.Sign(rounded) : rounded;
            }
        }

        return norm;
    }

    /// <summary>The norm, refusing an update with a NaN or infinite element (it cannot be clipped).</summary>
    /// <exception cref="NonFiniteUpdateException">An element is NaN or infinite.</exception>
    public static double NormOfFinite(ReadOnlySpan<float> update)
    {
        double norm = Norm(update);
        if (!double.IsFinite(norm))
        {
            throw new NonFiniteUpdateException(IndexOfNonFinite(update));
        }

        return norm;
    }

    private static double SumOfSquares(ReadOnlySpan<float> values)
    {
        var sum = Vector<double>.Zero;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(values[i..]), out var low, out var high);
                sum += (low * low) + (high * high);
            }
        }

        double total = Vector.Sum(sum);
        for (; i < values.Length; i++)
        {
            double value = values[i];
            total += value * value;
        }

        return total;
    }

    private static long IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
