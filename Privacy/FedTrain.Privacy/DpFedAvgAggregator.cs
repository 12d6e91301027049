namespace FedTrain.Privacy;

/// <summary>
/// The server-side arithmetic of user-level DP-FedAvg (McMahan, Ramage, Talwar, Zhang 2018): each client update is
/// clipped to L2 norm C, the clipped updates are summed, N(0, (z·C)²) is added to every coordinate of the sum, and
/// the result is divided by the fixed expected cohort size m = q·M. One client changes the sum by at most C, so the
/// mean has sensitivity C/m and each round is one Sampled Gaussian Mechanism release at (q, z).
/// </summary>
/// <remarks>
/// <para>The mean is unweighted, as in TFF's DP aggregators: weighting by example counts would let one client's
/// weight scale its influence past C/m, and the realised weight total is itself private.</para>
/// <para>The sum is accumulated in float64 (8 bytes per parameter); its rounding error, about 2^-53 relative per
/// addition, is not accounted, as in TFF, Opacus and Flower. Use: <see cref="Add"/> each sampled client's update,
/// then <see cref="Finish"/>, which also starts the next round. Not thread-safe.</para>
/// </remarks>
public sealed class DpFedAvgAggregator
{
    private readonly double[] _sum;
    private readonly INoiseSource _noise;
    private readonly AdaptiveClipping? _adaptive;
    private readonly double _fixedClipNorm;

    /// <summary>DP-FedAvg with a fixed clip norm.</summary>
    /// <param name="dimension">Number of model parameters, ≥ 1.</param>
    /// <param name="clipNorm">C &gt; 0.</param>
    /// <param name="noiseMultiplier">z &gt; 0; the noise std on the sum is z·C.</param>
    /// <param name="expectedCohortSize">m = q·M &gt; 0, the fixed denominator.</param>
    /// <param name="noise">Noise source; null means a new <see cref="SecureGaussianNoise"/>.</param>
    public DpFedAvgAggregator(int dimension, double clipNorm, double noiseMultiplier, double expectedCohortSize, INoiseSource? noise = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Guard.Positive(clipNorm, nameof(clipNorm), "clip norm");
        Guard.Positive(noiseMultiplier, nameof(noiseMultiplier), "noise multiplier");
        Guard.Positive(expectedCohortSize, nameof(expectedCohortSize), "expected cohort size");
        _sum = new double[dimension];
        _noise = noise ?? new SecureGaussianNoise();
        _fixedClipNorm = clipNorm;
        NoiseMultiplier = noiseMultiplier;
        ValueNoiseMultiplier = noiseMultiplier;
        ExpectedCohortSize = expectedCohortSize;
    }

    /// <summary>DP-FedAvg with adaptive clipping; m is <see cref="AdaptiveClipping.ExpectedCohortSize"/>.</summary>
    /// <param name="dimension">Number of model parameters, ≥ 1.</param>
    /// <param name="clipping">The clip-norm estimator; this aggregator updates it at the end of every round.</param>
    /// <param name="noiseMultiplier">The total z (value and count queries together) the accountant uses, &gt; 0 and &lt; 2σ_b.</param>
    /// <param name="noise">Noise source; null means a new <see cref="SecureGaussianNoise"/>.</param>
    public DpFedAvgAggregator(int dimension, AdaptiveClipping clipping, double noiseMultiplier, INoiseSource? noise = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentNullException.ThrowIfNull(clipping);
        _sum = new double[dimension];
        _noise = noise ?? new SecureGaussianNoise();
        _adaptive = clipping;
        NoiseMultiplier = noiseMultiplier;
        ValueNoiseMultiplier = AdaptiveClipping.ValueNoiseMultiplierFor(noiseMultiplier, clipping.CountStandardDeviation);
        ExpectedCohortSize = clipping.ExpectedCohortSize;
    }

    /// <summary>Number of model parameters.</summary>
    public int Dimension => _sum.Length;

    /// <summary>The clip norm of the current round.</summary>
    public double ClipNorm => _adaptive?.ClipNorm ?? _fixedClipNorm;

    /// <summary>The total noise multiplier z, the one to give the accountant.</summary>
    public double NoiseMultiplier { get; }

    /// <summary>The noise multiplier applied to the update sum (z, or z_Δ with adaptive clipping).</summary>
    public double ValueNoiseMultiplier { get; }

    /// <summary>m, the fixed denominator.</summary>
    public double ExpectedCohortSize { get; }

    /// <summary>Updates added this round. Private under Poisson sampling: do not publish it.</summary>
    public int Count { get; private set; }

    /// <summary>Updates added this round with ‖Δ‖ ≤ C. Private: only its noisy fraction is released.</summary>
    public int UnclippedCount { get; private set; }

    /// <summary>Discards the current round's updates.</summary>
    public void Reset()
    {
        Array.Clear(_sum);
        Count = 0;
        UnclippedCount = 0;
    }

    /// <summary>Clips one client's update to <see cref="ClipNorm"/> and adds it to the round's sum; the update is not modified.</summary>
    /// <returns>Whether the update was left unclipped (‖Δ‖ ≤ C, equality included as in TFF).</returns>
    /// <exception cref="ArgumentException">The length is not <see cref="Dimension"/>.</exception>
    /// <exception cref="NonFiniteUpdateException">An element is NaN or infinite; nothing is added.</exception>
    public bool Add(ReadOnlySpan<float> update)
    {
        if (update.Length != _sum.Length)
        {
            throw new ArgumentException($"The update has {update.Length} parameters; the model has {_sum.Length}.", nameof(update));
        }

        bool unclipped = ClippedSum.Add(update, ClipNorm, _sum);
        Count++;
        if (unclipped)
        {
            UnclippedCount++;
        }

        return unclipped;
    }

    /// <summary>
    /// Adds a range of another clipped sum of this round's updates, made elsewhere at this round's clip norm (another
    /// coordinator node's share; <see cref="ClippedSum"/>): its <paramref name="values"/> go to parameters
    /// <paramref name="offset"/> onwards. Call <see cref="CountPartial"/> once for the whole sum.
    /// </summary>
    public void AddPartialRange(long offset, ReadOnlySpan<double> values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset + values.Length > _sum.Length)
        {
            throw new ArgumentException($"A partial sum's range ends at {offset + values.Length}; the model has {_sum.Length} parameters.", nameof(values));
        }

        var target = _sum.AsSpan((int)offset, values.Length);
        System.Numerics.Tensors.TensorPrimitives.Add(target, values, target);
    }

    /// <summary>Counts the updates of a partial sum added with <see cref="AddPartialRange"/>: how many, and how many were not clipped.</summary>
    public void CountPartial(int count, int unclipped)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(unclipped);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(unclipped, count);
        Count += count;
        UnclippedCount += unclipped;
    }

    /// <summary>
    /// Noises the sum, writes sum/m to <paramref name="mean"/>, updates an adaptive clip, and starts the next round.
    /// Call it even for a round in which no update arrived: the release (pure noise) must still happen and be accounted.
    /// </summary>
    public DpRoundRelease Finish(Span<float> mean)
    {
        if (mean.Length != _sum.Length)
        {
            throw new ArgumentException($"The destination has {mean.Length} parameters; the model has {_sum.Length}.", nameof(mean));
        }

        double clip = ClipNorm;
        double std = NoiseStandardDeviation(clip);
        _noise.AddNoise(_sum, std);
        for (int i = 0; i < _sum.Length; i++)
        {
            mean[i] = (float)(_sum[i] / ExpectedCohortSize);
        }

        double? fraction = _adaptive?.Update(UnclippedCount, Count, _noise);
        var release = new DpRoundRelease(clip, ClipNorm, NoiseMultiplier, ValueNoiseMultiplier, std, ExpectedCohortSize, fraction);
        Reset();
        return release;
    }

    // z_Δ·(C + √d·γ): rounding the sum onto the noise grid γ adds up to √d·γ to the L2 sensitivity, and γ depends on
    // the std. For the secure source γ is a power of two (piecewise constant), so this reaches an exact fixed point in
    // a step or two; for a grid proportional to the std it converges geometrically, and the last step goes 1e-9 past.
    private double NoiseStandardDeviation(double clip)
    {
        double sqrtD = Math.Sqrt(_sum.Length);
        double std = ValueNoiseMultiplier * clip;
        for (int i = 0; i < 200; i++)
        {
            double needed = ValueNoiseMultiplier * (clip + (sqrtD * _noise.GranularityFor(std)));
            if (needed <= std)
            {
                return std;
            }

            std = needed - std <= 1e-12 * std ? needed * (1 + 1e-9) : needed;
        }

        throw new InvalidOperationException("The noise source's grid is too coarse for this model size: z·√d·γ/σ must stay well below 1.");
    }
}
