using System.Buffers;

namespace FedTrain.Core.Fairness;

/// <summary>
/// Fairness metrics over per-client values (accuracies, usually in [0, 1]), each client counting once. All need at
/// least one value and refuse NaN, infinities and negative values (Jain's index and the Gini coefficient are defined
/// for non-negative allocations). Sums run in float64.
/// </summary>
public static class FairnessMetrics
{
    /// <summary>All metrics at once; sorts a pooled copy, never the input.</summary>
    /// <exception cref="ArgumentException">No values, or a value that is negative or not finite.</exception>
    public static FairnessReport Compute(ReadOnlySpan<double> accuracies)
    {
        Validate(accuracies);
        int n = accuracies.Length;
        var pooled = ArrayPool<double>.Shared.Rent(n);
        try
        {
            var sorted = pooled.AsSpan(0, n);
            accuracies.CopyTo(sorted);
            sorted.Sort();
            return new FairnessReport(
                Mean(accuracies),
                PopulationStandardDeviation(accuracies),
                sorted[0],
                SortedPercentile(sorted, 10),
                JainIndex(accuracies),
                SortedGini(sorted),
                n);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(pooled);
        }
    }

    public static double Mean(ReadOnlySpan<double> values)
    {
        Validate(values);
        double sum = 0;
        foreach (double x in values)
        {
            sum += x;
        }

        return sum / values.Length;
    }

    /// <summary>√(Σ(x − mean)²/n), two-pass so that near-equal values do not cancel.</summary>
    public static double PopulationStandardDeviation(ReadOnlySpan<double> values)
    {
        double mean = Mean(values);
        double sum = 0;
        foreach (double x in values)
        {
            sum += (x - mean) * (x - mean);
        }

        return Math.Sqrt(sum / values.Length);
    }

    /// <summary>
    /// The <paramref name="percent"/>-th percentile by linear interpolation between closest ranks (numpy's default
    /// "linear", Hyndman and Fan's type 7): with the values sorted x₀ ≤ … ≤ xₙ₋₁ and h = (n − 1)·percent/100,
    /// the result is x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋₊₁ − x⌊h⌋).
    /// </summary>
    public static double Percentile(ReadOnlySpan<double> values, double percent)
    {
        Validate(values);
        var pooled = ArrayPool<double>.Shared.Rent(values.Length);
        try
        {
            var sorted = pooled.AsSpan(0, values.Length);
            values.CopyTo(sorted);
            sorted.Sort();
            return SortedPercentile(sorted, percent);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(pooled);
        }
    }

    /// <summary>Jain's fairness index (Σx)²/(n·Σx²) (Jain, Chiu and Hawe 1984). All zeros count as equal: 1.</summary>
    public static double JainIndex(ReadOnlySpan<double> values)
    {
        Validate(values);
        double sum = 0, squares = 0;
        foreach (double x in values)
        {
            sum += x;
            squares += x * x;
        }

        return squares == 0 ? 1.0 : sum * sum / (values.Length * squares);
    }

    /// <summary>
    /// Gini coefficient: mean absolute difference over twice the mean, Σᵢ Σⱼ |xᵢ − xⱼ| / (2n²·mean), computed in
    /// O(n log n) from the sorted values as Σᵢ (2i − n + 1)·x₍ᵢ₎ / (n²·mean). All zeros count as equal: 0.
    /// </summary>
    public static double Gini(ReadOnlySpan<double> values)
    {
        Validate(values);
        var pooled = ArrayPool<double>.Shared.Rent(values.Length);
        try
        {
            var sorted = pooled.AsSpan(0, values.Length);
            values.CopyTo(sorted);
            sorted.Sort();
            return SortedGini(sorted);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(pooled);
        }
    }

    private static double SortedPercentile(ReadOnlySpan<double> sorted, double percent)
    {
        if (!(percent >= 0 && percent <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "percent must lie in [0, 100].");
        }

        double h = (sorted.Length - 1) * percent / 100;
        int low = (int)Math.Floor(h);
        int high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + ((h - low) * (sorted[high] - sorted[low]));
    }

    private static double SortedGini(ReadOnlySpan<double> sorted)
    {
        int n = sorted.Length;
        double sum = 0, weighted = 0;
        for (int i = 0; i < n; i++)
        {
            sum += sorted[i];
            weighted += ((2.0 * i) - n + 1) * sorted[i];
        }

        // Σ x = n·mean, so n²·mean = n·Σx.
        return sum == 0 ? 0.0 : weighted / (n * sum);
    }

    private static void Validate(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("No client values: fairness is undefined for zero clients.", nameof(values));
        }

        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]) || values[i] < 0)
            {
                throw new ArgumentException($"Value {i} is {values[i]}; fairness metrics need finite, non-negative values.", nameof(values));
            }
        }
    }
}
