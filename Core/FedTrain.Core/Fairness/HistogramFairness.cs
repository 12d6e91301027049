namespace FedTrain.Core.Fairness;

/// <summary>
/// The fairness figures of <see cref="FairnessMetrics"/>, computed from a histogram of client accuracies instead of
/// the accuracies themselves: what a differentially private run publishes, where only a noised histogram may leave
/// the coordinator. Everything here is post-processing of the released histogram, so it costs no privacy.
/// </summary>
/// <remarks>
/// Only buckets whose noised count reaches <see cref="SignificantCount"/> noise deviations count (clamping every bucket
/// at 0 instead would add about B·σ/√(2π) phantom clients, spread evenly, and pull every figure towards the middle);
/// when none does, every positive count is used. Every client in bucket b is taken at its centre (b + ½)/B; the
/// bucketing alone moves a figure by at most 1/(2B). The minimum is the centre of the lowest counted bucket, so a lone
/// client far below the rest is only seen once enough clients share its bucket: under DP it is a robust minimum,
/// biased upwards. The client count is the unclamped sum of the noised counts, an unbiased estimate (docs/privacy.md
/// gives the measured errors).
/// </remarks>
public static class HistogramFairness
{
    /// <summary>How many noise standard deviations a bucket's noised count must reach to count as holding clients.</summary>
    public const double SignificantCount = 1;

    /// <summary>The bucket of <paramref name="accuracy"/> among <paramref name="buckets"/> equal buckets of [0, 1].</summary>
    public static int BucketOf(double accuracy, int buckets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        if (!(accuracy >= 0 && accuracy <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(accuracy), accuracy, "An accuracy lies in [0, 1].");
        }

        return Math.Min((int)(accuracy * buckets), buckets - 1);
    }

    /// <summary>The exact counts of <paramref name="accuracies"/> per bucket.</summary>
    public static long[] Counts(ReadOnlySpan<double> accuracies, int buckets)
    {
        var counts = new long[buckets];
        foreach (double accuracy in accuracies)
        {
            counts[BucketOf(accuracy, buckets)]++;
        }

        return counts;
    }

    /// <summary>
    /// The figures of the histogram <paramref name="noisyCounts"/> (bucket b holding accuracies in [b/B, (b+1)/B)),
    /// or null when its clamped total is below one client (nothing left to summarise).
    /// </summary>
    /// <param name="noisyCounts">The released counts, one per bucket, possibly negative or fractional.</param>
    /// <param name="noiseStandardDeviation">The noise on each count (0 for exact counts).</param>
    public static FairnessReport? FromHistogram(IReadOnlyList<double> noisyCounts, double noiseStandardDeviation)
    {
        ArgumentNullException.ThrowIfNull(noisyCounts);
        int buckets = noisyCounts.Count;
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1, nameof(noisyCounts));
        var weights = Weights(noisyCounts, noiseStandardDeviation);
        double total = 0, sum = 0, squares = 0, released = 0;
        for (int b = 0; b < buckets; b++)
        {
            released += double.IsFinite(noisyCounts[b]) ? noisyCounts[b] : 0;
            double centre = Centre(b, buckets);
            total += weights[b];
            sum += weights[b] * centre;
            squares += weights[b] * centre * centre;
        }

        if (total < 1)
        {
            return null;
        }

        double mean = sum / total;
        double variance = 0;
        for (int b = 0; b < buckets; b++)
        {
            variance += weights[b] * (Centre(b, buckets) - mean) * (Centre(b, buckets) - mean);
        }

        return new FairnessReport(
            mean,
            Math.Sqrt(variance / total),
            Centre(Array.FindIndex(weights, w => w > 0), buckets),
            Quantile(weights, total, 0.10),
            squares == 0 ? 1.0 : sum * sum / (total * squares),
            Gini(weights, total, mean),
            (int)Math.Round(Math.Max(0, released)))
        {
            NoiseStandardDeviation = noiseStandardDeviation > 0 ? noiseStandardDeviation : null,
            NoisyHistogram = noiseStandardDeviation > 0 ? noisyCounts.ToArray() : null,
        };
    }

    /// <summary>
    /// How many clients each bucket is taken to hold: its noised count where that reaches <see cref="SignificantCount"/>
    /// noise deviations, else 0; every positive count when no bucket reaches it (and for exact counts).
    /// </summary>
    public static double[] Weights(IReadOnlyList<double> noisyCounts, double noiseStandardDeviation)
    {
        ArgumentNullException.ThrowIfNull(noisyCounts);
        double threshold = SignificantCount * Math.Max(0, noiseStandardDeviation);
        var weights = new double[noisyCounts.Count];
        bool any = false;
        for (int b = 0; b < weights.Length; b++)
        {
            double count = double.IsFinite(noisyCounts[b]) ? noisyCounts[b] : 0;
            weights[b] = count > 0 && count >= threshold ? count : 0;
            any |= weights[b] > 0;
        }

        if (!any)
        {
            for (int b = 0; b < weights.Length; b++)
            {
                weights[b] = double.IsFinite(noisyCounts[b]) ? Math.Max(0, noisyCounts[b]) : 0;
            }
        }

        return weights;
    }

    /// <summary>The accuracy at the centre of <paramref name="bucket"/> of <paramref name="buckets"/>.</summary>
    public static double Centre(int bucket, int buckets) => (bucket + 0.5) / buckets;

    // The accuracy below which a fraction p of the (clamped) clients lie, spreading each bucket's clients evenly over it.
    private static double Quantile(double[] weights, double total, double p)
    {
        double target = p * total;
        double below = 0;
        for (int b = 0; b < weights.Length; b++)
        {
            if (weights[b] > 0 && below + weights[b] >= target)
            {
                return (b + ((target - below) / weights[b])) / weights.Length;
            }

            below += weights[b];
        }

        return 1.0;
    }

    // Σᵢ Σⱼ wᵢwⱼ|cᵢ − cⱼ| / (2·n²·mean), the Gini coefficient of the clients placed at their bucket centres.
    private static double Gini(double[] weights, double total, double mean)
    {
        if (mean <= 0)
        {
            return 0;
        }

        double differences = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            for (int j = i + 1; j < weights.Length; j++)
            {
                differences += 2 * weights[i] * weights[j] * Math.Abs(Centre(i, weights.Length) - Centre(j, weights.Length));
            }
        }

        return differences / (2 * total * total * mean);
    }
}
