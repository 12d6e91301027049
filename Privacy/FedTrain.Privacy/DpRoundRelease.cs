namespace FedTrain.Privacy;

/// <summary>What one DP-FedAvg round released and what the accountant needs to know about it.</summary>
/// <param name="ClipNorm">The clip norm C the round's updates were clipped to.</param>
/// <param name="NextClipNorm">The clip norm for the next round (equal to <paramref name="ClipNorm"/> with fixed clipping).</param>
/// <param name="NoiseMultiplier">The total noise multiplier z to compose with the accountant at q = m/M.</param>
/// <param name="ValueNoiseMultiplier">z_Δ used on the update sum (= z with fixed clipping; above z with adaptive clipping).</param>
/// <param name="NoiseStandardDeviation">Standard deviation of the noise added to the sum of clipped updates:
/// z_Δ·(C + √d·γ), where γ is the noise grid (see <see cref="INoiseSource.GranularityFor"/>).</param>
/// <param name="Denominator">The fixed denominator m of the mean (the expected cohort size).</param>
/// <param name="NoisyUnclippedFraction">b̄ released for adaptive clipping; null with fixed clipping.</param>
public sealed record DpRoundRelease(
    double ClipNorm,
    double NextClipNorm,
    double NoiseMultiplier,
    double ValueNoiseMultiplier,
    double NoiseStandardDeviation,
    double Denominator,
    double? NoisyUnclippedFraction);
