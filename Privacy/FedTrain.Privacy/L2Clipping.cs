using System.Numerics.Tensors;

namespace FedTrain.Privacy;

/// <summary>
/// Flat L2 clipping of a whole update (all parameters as one vector), the per-client clipping of DP-FedAvg:
/// Δ ← Δ · min(1, C / ‖Δ‖). Bounding each client's contribution is what gives the sum a known sensitivity.
/// </summary>
public static class L2Clipping
{
    /// <summary>The L2 norm of <paramref name="update"/>, accumulated in float64 so large models do not lose precision.</summary>
    public static double Norm(ReadOnlySpan<float> update)
    {
        // Sum squares in blocks: each block's float sum is exact enough, and the float64 total keeps 1e-12 relative error.
        const int Block = 4096;
        double sum = 0;
        for (int start = 0; start < update.Length; start += Block)
        {
            var slice = update.Slice(start, Math.Min(Block, update.Length - start));
            sum += TensorPrimitives.SumOfSquares(slice);
        }

        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Scales <paramref name="update"/> in place so its L2 norm is at most <paramref name="clipNorm"/>.
    /// Returns the norm before clipping; an update with norm ≤ C is left unchanged (it counts as unclipped).
    /// </summary>
    public static double Clip(Span<float> update, double clipNorm)
    {
        if (!double.IsFinite(clipNorm) || clipNorm <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(clipNorm), clipNorm, "The clip norm must be positive and finite.");
        }

        double norm = Norm(update);
        if (norm > clipNorm)
        {
            TensorPrimitives.Multiply(update, (float)(clipNorm / norm), update);
        }

        return norm;
    }
}
