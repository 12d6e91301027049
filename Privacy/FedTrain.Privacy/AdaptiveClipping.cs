namespace FedTrain.Privacy;

/// <summary>
/// Adaptive clipping of Andrew, Thakkar, McMahan, Ramaswamy (2021), "Differentially Private Learning with Adaptive
/// Clipping", as TFF's <c>QuantileEstimatorQuery</c> computes it (geometric update): each round the clip norm moves
/// towards the norm below which a fraction γ of the updates fall, C ← C·exp(−η(b̄ − γ)), where b̄ is a noisy
/// fraction of updates with ‖Δ‖ ≤ C.
/// </summary>
/// <remarks>
/// <para>The count is released privately: the server sums (b_k − ½) over the cohort (sensitivity ½), adds
/// N(0, σ_b²), divides by the expected cohort size m (not the realised one, which is private under Poisson
/// sampling), adds ½ back and clamps to [0, 1]. The new clip applies from the next round; the current round is
/// noised with the clip it was clipped with.</para>
/// <para>Releasing the count costs privacy: the value noise multiplier is reduced to
/// z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2) so that the two Gaussians together compose to the total z the accountant uses
/// (<see cref="ValueNoiseMultiplierFor"/>). The linear update C ← C − η(b̄ − γ) is not offered: it can drive C to 0.</para>
/// <para>Not thread-safe.</para>
/// </remarks>
public sealed class AdaptiveClipping
{
    /// <summary>Creates the estimator with the defaults of TFF's <c>DifferentiallyPrivateFactory.gaussian_adaptive</c>.</summary>
    /// <param name="expectedCohortSize">m = q·M, the expected number of clients per round, &gt; 0.</param>
    /// <param name="initialClipNorm">C for the first round, &gt; 0 (TFF default 0.1).</param>
    /// <param name="targetUnclippedQuantile">γ in [0, 1], the fraction of updates to leave unclipped (0.5: the median).</param>
    /// <param name="learningRate">η ≥ 0; one round changes C by at most a factor e^η (0.2 recommended).</param>
    /// <param name="countStandardDeviation">σ_b ≥ 0 for the unclipped count; null means m/20 as the paper recommends.</param>
    public AdaptiveClipping(
        double expectedCohortSize,
        double initialClipNorm = 0.1,
        double targetUnclippedQuantile = 0.5,
        double learningRate = 0.2,
        double? countStandardDeviation = null)
    {
        Guard.Positive(expectedCohortSize, nameof(expectedCohortSize), "expected cohort size");
        Guard.Positive(initialClipNorm, nameof(initialClipNorm), "clip norm");
        if (!(targetUnclippedQuantile >= 0 && targetUnclippedQuantile <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(targetUnclippedQuantile), targetUnclippedQuantile, "The target quantile must be in [0, 1].");
        }

        Guard.NonNegative(learningRate, nameof(learningRate), "learning rate");
        double sigmaB = countStandardDeviation ?? expectedCohortSize / 20;
        Guard.NonNegative(sigmaB, nameof(countStandardDeviation), "count noise standard deviation");

        ExpectedCohortSize = expectedCohortSize;
        ClipNorm = initialClipNorm;
        TargetUnclippedQuantile = targetUnclippedQuantile;
        LearningRate = learningRate;
        CountStandardDeviation = sigmaB;
    }

    /// <summary>The clip norm for the current round.</summary>
    public double ClipNorm { get; private set; }

    /// <summary>m, the expected number of clients per round; the fixed denominator of the fraction.</summary>
    public double ExpectedCohortSize { get; }

    /// <summary>γ, the fraction of updates the clip should leave unclipped.</summary>
    public double TargetUnclippedQuantile { get; }

    /// <summary>η of the geometric update.</summary>
    public double LearningRate { get; }

    /// <summary>σ_b, the standard deviation of the noise on the unclipped count.</summary>
    public double CountStandardDeviation { get; }

    /// <summary>
    /// z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2): the value noise multiplier that, composed with the count query (noise
    /// multiplier 2σ_b), gives a total of z. As TFF's <c>adaptive_clip_noise_params</c>, z ≥ 2σ_b is refused; the
    /// split is costly when z_Δ/z ≥ 2 (raise σ_b, i.e. m).
    /// </summary>
    /// <param name="noiseMultiplier">The total z the accountant uses, &gt; 0.</param>
    /// <param name="countStandardDeviation">σ_b, &gt; 0.</param>
    public static double ValueNoiseMultiplierFor(double noiseMultiplier, double countStandardDeviation)
    {
        Guard.Positive(noiseMultiplier, nameof(noiseMultiplier), "noise multiplier");
        Guard.NonNegative(countStandardDeviation, nameof(countStandardDeviation), "count noise standard deviation");
        if (noiseMultiplier >= 2 * countStandardDeviation)
        {
            throw new ArgumentOutOfRangeException(
                nameof(noiseMultiplier),
                noiseMultiplier,
                $"The noise multiplier must be below 2σ_b = {2 * countStandardDeviation} for the count query to leave any privacy to the value query; raise the count noise or the cohort size.");
        }

        double rest = (1 / (noiseMultiplier * noiseMultiplier)) - (1 / (4 * countStandardDeviation * countStandardDeviation));
        return 1 / Math.Sqrt(rest);
    }

    /// <summary>
    /// Ends a round: releases the noisy unclipped fraction b̄ and moves <see cref="ClipNorm"/> for the next round.
    /// </summary>
    /// <param name="unclippedCount">How many of the round's updates had ‖Δ‖ ≤ C.</param>
    /// <param name="participants">How many updates the round aggregated (private: used only inside the sum).</param>
    /// <param name="noise">Source of the N(0, σ_b²) draw.</param>
    /// <returns>b̄ in [0, 1].</returns>
    public double Update(int unclippedCount, int participants, INoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentOutOfRangeException.ThrowIfNegative(unclippedCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(participants, unclippedCount);

        // Σ(b − ½) has sensitivity ½ under add/remove-one, half that of the raw count.
        Span<double> centered = [unclippedCount - (0.5 * participants)];
        if (CountStandardDeviation > 0)
        {
            noise.AddNoise(centered, CountStandardDeviation);
        }

        double fraction = Math.Clamp((centered[0] / ExpectedCohortSize) + 0.5, 0, 1);
        ClipNorm *= Math.Exp(-LearningRate * (fraction - TargetUnclippedQuantile));
        return fraction;
    }
}
