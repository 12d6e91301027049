namespace FedTrain.Core.Robust;

/// <summary>
/// Coordinate-wise median (Yin et al. 2018, "Byzantine-Robust Distributed Learning"): each coordinate of the result is
/// the median of that coordinate over the n updates; for even n, the mean of the two middle values (numpy's
/// definition, as Flower's FedMedian). Unweighted, as in the paper and Flower: weights are ignored, since a weight
/// is reported by the client and would let one Byzantine client claim the median for itself.
/// </summary>
/// <remarks>
/// Memory beyond the update set: one buffer of n × range floats per worker (512 KiB each by default). Work: a sorting
/// network of O(n log² n) vector min/max per <c>Vector&lt;float&gt;.Count</c> coordinates for n ≤ 256 (19
/// compare-exchanges for n = 8), a sort per coordinate above.
/// The result is bit-identical for every range length and degree of parallelism.
/// </remarks>
public static class CoordinateMedian
{
    /// <summary>Writes the coordinate-wise median of <paramref name="updates"/> into <paramref name="destination"/> (length P).</summary>
    public static void Aggregate(IUpdateSet updates, Span<float> destination, RangeOptions options = default, CancellationToken cancellationToken = default)
    {
        UpdateSetArguments.Validate(updates, destination);
        int n = updates.Count;
        var network = OrderStatistics.NetworkFor(n);
        int rangeLength = RangeRunner.ResolveRangeLength(options, n, updates.Length, blockAligned: false);
        RangeRunner.Run(updates, UpdateSetArguments.AllRows(n), rangeLength, options, destination,
            (_, _, count, rows, output) => OrderStatistics.Median(rows, n, count, network, output), cancellationToken);
    }
}
