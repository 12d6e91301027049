namespace FedTrain.Bench;

/// <summary>Summaries of repeated measurements.</summary>
internal static class BenchStatistics
{
    /// <summary>The median of values sorted ascending (the mean of the middle two for an even count); NaN for none.</summary>
    public static double Median(IReadOnlyList<double> sorted)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        return sorted.Count == 0 ? double.NaN
            : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
            : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
