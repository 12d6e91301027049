namespace FedTrain.Privacy;

/// <summary>
/// A histogram in which every client adds one to exactly one bucket, released with Gaussian noise on every bucket.
/// Adding or removing a client changes one count by one, so the L2 sensitivity is 1 and noise of standard deviation
/// z is the Gaussian mechanism with noise multiplier z. With Poisson-sampled clients the release is one Sampled
/// Gaussian Mechanism event at (q, z), which the RDP accountant composes with the model's releases.
/// </summary>
public static class PrivateHistogram
{
    /// <summary>The counts plus independent N(0, z²) noise per bucket. The counts themselves are not modified.</summary>
    /// <param name="counts">Exact counts, each ≥ 0; at least one bucket.</param>
    /// <param name="noiseMultiplier">z &gt; 0, the noise standard deviation (the sensitivity is 1).</param>
    /// <param name="noise">Noise source; null means a new <see cref="SecureGaussianNoise"/>.</param>
    public static double[] Release(ReadOnlySpan<long> counts, double noiseMultiplier, INoiseSource? noise = null)
    {
        if (counts.IsEmpty)
        {
            throw new ArgumentException("A histogram needs at least one bucket.", nameof(counts));
        }

        Guard.Positive(noiseMultiplier, nameof(noiseMultiplier), "noise multiplier");
        var source = noise ?? new SecureGaussianNoise();
        // The secure source rounds values to a power-of-two grid γ before adding noise. Integer counts are already on
        // any grid γ ≤ 1, so rounding moves nothing and the sensitivity stays 1; a coarser grid would add up to γ/2
        // per bucket, which this release does not account for.
        double grid = source.GranularityFor(noiseMultiplier);
        if (grid > 1 || (grid > 0 && Math.Abs((1 / grid) - Math.Round(1 / grid)) > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The noise source's grid for this noise does not hold the integers.");
        }

        var noised = new double[counts.Length];
        for (int i = 0; i < counts.Length; i++)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(counts[i], nameof(counts));
            noised[i] = counts[i];
        }

        source.AddNoise(noised, noiseMultiplier);
        return noised;
    }
}
