namespace FedTrain.Core.Robust;

/// <summary>
/// Coordinate-wise trimmed mean (Yin et al. 2018): per coordinate, drop the ⌊βn⌋ largest and the ⌊βn⌋ smallest
/// values and average the rest, as scipy's <c>trim_mean</c> and Flower's FedTrimmedAvg. Unweighted, like them.
/// β = 0 is the plain unweighted mean.
/// </summary>
/// <remarks>
/// Memory beyond the update set: one buffer of n × range floats per worker. Tolerates up to ⌊βn⌋ Byzantine
/// updates per coordinate. The result is bit-identical for every range length and degree of parallelism.
/// </remarks>
public static class TrimmedMean
{
    /// <summary>Writes the β-trimmed mean of <paramref name="updates"/> into <paramref name="destination"/> (length P).</summary>
    /// <param name="beta">β ∈ [0, 0.5), the fraction cut from each end (Flower's default 0.2).</param>
    public static void Aggregate(IUpdateSet updates, double beta, Span<float> destination, RangeOptions options = default, CancellationToken cancellationToken = default)
    {
        UpdateSetArguments.Validate(updates, destination);
        if (!(beta >= 0 && beta < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must lie in [0, 0.5): it is the fraction trimmed from each end.");
        }

        int n = updates.Count;
        int trim = TrimCount(n, beta);
        var network = OrderStatistics.NetworkFor(n);
        int rangeLength = RangeRunner.ResolveRangeLength(options, n, updates.Length, blockAligned: false);
        RangeRunner.Run(updates, UpdateSetArguments.AllRows(n), rangeLength, options, destination,
            (_, _, count, rows, output) => OrderStatistics.TrimmedMean(rows, n, count, trim, network, output), cancellationToken);
    }

    /// <summary>⌊βn⌋, the number of values dropped from each end; 2·⌊βn⌋ &lt; n for β &lt; 0.5.</summary>
    public static int TrimCount(int n, double beta) => (int)Math.Floor(beta * n);
}
