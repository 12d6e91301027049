using System.Numerics.Tensors;

namespace FedTrain.Core.Robust;

/// <summary>
/// Norm bounding (Sun, Kairouz, Suresh and McMahan 2019, "Can You Really Backdoor Federated Learning?"): every
/// update is scaled by min(1, M/‖Δₖ‖₂) so that no client moves the model further than M, then the clipped updates
/// are averaged.
/// </summary>
/// <remarks>
/// <para>The mean is example-weighted by default, as FedAvg (<c>weighted: false</c> gives the unweighted mean).
/// Unlike the order statistics, this rule does not need every update at once: clipping each update with
/// <see cref="Clip"/> as it arrives and folding it into a <c>WeightedSum</c> gives the same mean in O(P) memory.
/// <see cref="Aggregate"/> is the form for updates that are already in an <see cref="IUpdateSet"/>.</para>
/// <para>Memory beyond the update set: one buffer of n × range floats per worker. Two passes: norms (block sums in
/// a fixed order, so bit-identical for every range length), then the weighted sum.</para>
/// </remarks>
public static class NormBounding
{
    /// <summary>Scales <paramref name="update"/> in place to L2 norm at most <paramref name="bound"/>; returns its norm before.</summary>
    public static double Clip(Span<float> update, double bound)
    {
        ValidateBound(bound);
        double norm = Math.Sqrt(BlockSums.SumOfSquares(update));
        double scale = Scale(norm, bound);
        if (scale < 1)
        {
            TensorPrimitives.Multiply(update, (float)scale, update);
        }

        return norm;
    }

    /// <summary>Writes the mean of the norm-clipped updates into <paramref name="destination"/>.</summary>
    /// <param name="bound">M &gt; 0, the largest L2 norm an update keeps.</param>
    /// <param name="weighted">Weight the mean by the updates' weights (default) or not.</param>
    public static NormBoundingResult Aggregate(
        IUpdateSet updates, double bound, Span<float> destination, bool weighted = true, RangeOptions options = default, CancellationToken cancellationToken = default)
    {
        UpdateSetArguments.Validate(updates, destination);
        ValidateBound(bound);
        int n = updates.Count;
        var rows = UpdateSetArguments.AllRows(n);

        var reduction = new OrderedBlockReduction(n);
        int normRange = RangeRunner.ResolveRangeLength(options, n, updates.Length, blockAligned: true);
        RangeRunner.Run(updates, rows, normRange, options, default, (range, _, count, buffer, _) =>
        {
            int blocks = (count + BlockSums.BlockLength - 1) / BlockSums.BlockLength;
            var partials = reduction.RentPartials(blocks);
            for (int b = 0; b < blocks; b++)
            {
                int offset = b * BlockSums.BlockLength;
                int length = Math.Min(BlockSums.BlockLength, count - offset);
                for (int r = 0; r < n; r++)
                {
                    partials[(b * n) + r] = BlockSums.BlockSumOfSquares(buffer.AsSpan((r * count) + offset, length));
                }
            }

            reduction.Commit(range, partials, blocks);
        }, cancellationToken);

        var norms = new double[n];
        var scales = new double[n];
        int clipped = 0;
        for (int k = 0; k < n; k++)
        {
            norms[k] = Math.Sqrt(reduction.Totals[k]);
            scales[k] = Scale(norms[k], bound);
            clipped += scales[k] < 1 ? 1 : 0;
        }

        var coefficients = UpdateSetArguments.MeanCoefficients(updates, rows, scales, weighted);
        int sumRange = RangeRunner.ResolveRangeLength(options, n, updates.Length, blockAligned: false);
        RangeRunner.Run(updates, rows, sumRange, options, destination,
            (_, _, count, buffer, output) => UpdateSetArguments.LinearCombination(buffer, count, coefficients, output), cancellationToken);
        return new NormBoundingResult(norms, clipped);
    }

    private static double Scale(double norm, double bound) => norm > bound ? bound / norm : 1.0;

    private static void ValidateBound(double bound)
    {
        if (!double.IsFinite(bound) || bound <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bound), bound, "bound (M) must be positive and finite.");
        }
    }
}
