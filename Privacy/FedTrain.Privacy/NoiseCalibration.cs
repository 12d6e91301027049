namespace FedTrain.Privacy;

/// <summary>
/// Picks the noise multiplier for a privacy target: the smallest σ such that <paramref name="steps"/> releases of the
/// Sampled Gaussian Mechanism at sampling rate q stay within (ε, δ) by the RDP accountant.
/// </summary>
public static class NoiseCalibration
{
    /// <summary>Relative width of the final bisection bracket: the returned σ is at most this much above the exact smallest.</summary>
    public const double RelativeTolerance = 1e-9;

    // ε(σ) → 0 as σ → ∞ for every finite target, but a target below ~1e-12 would need absurd noise.
    private const double MaxNoiseMultiplier = 1e12;

    /// <summary>ε after <paramref name="steps"/> SGM releases at (q, σ), at this δ.</summary>
    /// <param name="samplingRate">Poisson sampling rate q in (0, 1].</param>
    /// <param name="noiseMultiplier">σ &gt; 0.</param>
    /// <param name="steps">Number of releases (rounds, or DP-SGD steps), ≥ 1.</param>
    /// <param name="delta">δ in (0, 1).</param>
    /// <param name="orders">Rényi orders; null means <see cref="RdpOrders.Default"/>.</param>
    /// <param name="alongside">Other releases of the same run composed with these (e.g. a fairness histogram per round); null for none.</param>
    public static double Epsilon(
        double samplingRate, double noiseMultiplier, int steps, double delta, IReadOnlyList<double>? orders = null, IReadOnlyList<SgmEvent>? alongside = null)
    {
        Guard.SamplingRate(samplingRate, nameof(samplingRate));
        Guard.Positive(noiseMultiplier, nameof(noiseMultiplier), "noise multiplier");
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        Guard.Delta(delta, nameof(delta));
        return EpsilonUnchecked(samplingRate, noiseMultiplier, steps, delta, orders, Checked(alongside));
    }

    /// <summary>
    /// The smallest noise multiplier σ with ε(σ) ≤ <paramref name="targetEpsilon"/>, found by doubling from 1 to bracket
    /// it and bisecting until the bracket is within <see cref="RelativeTolerance"/>; the upper end is returned, so the
    /// target is always met. ε(σ) is non-increasing in σ because every R(α) is.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of range, or no σ ≤ 1e12 reaches the target.</exception>
    /// <param name="alongside">Other releases of the same run, with their own fixed noise, composed with the ones being
    /// calibrated (e.g. a fairness histogram per round); null for none. They must leave room under the target.</param>
    public static double NoiseMultiplierFor(
        double targetEpsilon, double samplingRate, int steps, double delta, IReadOnlyList<double>? orders = null, IReadOnlyList<SgmEvent>? alongside = null)
    {
        Guard.Positive(targetEpsilon, nameof(targetEpsilon), "target epsilon");
        Guard.SamplingRate(samplingRate, nameof(samplingRate));
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        Guard.Delta(delta, nameof(delta));
        var others = Checked(alongside);

        double low = 0;
        double high = 1;
        while (EpsilonUnchecked(samplingRate, high, steps, delta, orders, others) > targetEpsilon)
        {
            low = high;
            high *= 2;
            if (high > MaxNoiseMultiplier)
            {
                throw new ArgumentOutOfRangeException(nameof(targetEpsilon), targetEpsilon, "No noise multiplier up to 1e12 reaches this target.");
            }
        }

        while (high - low > RelativeTolerance * high)
        {
            double mid = 0.5 * (low + high);
            if (EpsilonUnchecked(samplingRate, mid, steps, delta, orders, others) > targetEpsilon)
            {
                low = mid;
            }
            else
            {
                high = mid;
            }
        }

        return high;
    }

    private static IReadOnlyList<SgmEvent> Checked(IReadOnlyList<SgmEvent>? alongside)
    {
        foreach (var release in alongside ?? [])
        {
            Guard.SamplingRate(release.SamplingRate, nameof(alongside));
            Guard.Positive(release.NoiseMultiplier, nameof(alongside), "noise multiplier");
            ArgumentOutOfRangeException.ThrowIfLessThan(release.Steps, 1, nameof(alongside));
        }

        return alongside ?? [];
    }

    private static double EpsilonUnchecked(double q, double sigma, int steps, double delta, IReadOnlyList<double>? orders, IReadOnlyList<SgmEvent> alongside)
    {
        var accountant = new RdpAccountant(orders);
        foreach (var release in alongside)
        {
            accountant.Compose(release.SamplingRate, release.NoiseMultiplier, checked((int)release.Steps));
        }

        accountant.Compose(q, sigma, steps);
        return accountant.GetEpsilon(delta);
    }
}
