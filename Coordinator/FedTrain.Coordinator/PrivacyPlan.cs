using System.Globalization;
using FedTrain.Privacy;

namespace FedTrain.Coordinator;

/// <summary>
/// What a DP run's noise does to the model, said before it runs: the noise on the mean is z·C/m per coordinate
/// (m = q·M), so its L2 norm over d parameters is about z·C·√d/m, while the mean of clipped updates has norm at most C.
/// When the noise's norm exceeds C the model mostly learns noise; m must grow towards z·√d.
/// </summary>
public static class PrivacyPlan
{
    /// <summary>Per-coordinate standard deviation of the noise on the released mean: z·C/m.</summary>
    public static double NoisePerCoordinate(double noiseMultiplier, double clipNorm, double expectedCohort) =>
        noiseMultiplier * clipNorm / expectedCohort;

    /// <summary>Expected L2 norm of the noise on the mean over <paramref name="parameters"/> coordinates: z·C·√d/m.</summary>
    public static double NoiseNorm(double noiseMultiplier, double clipNorm, double expectedCohort, long parameters) =>
        NoisePerCoordinate(noiseMultiplier, clipNorm, expectedCohort) * Math.Sqrt(parameters);

    /// <summary>The lines a coordinator, the demo and <c>fedtrain privacy</c> print about a run's noise and budget.</summary>
    /// <param name="privacy">The run's privacy options (validated).</param>
    /// <param name="parameters">d, the model's parameter count.</param>
    /// <param name="fairness">Whether each round also releases the fairness histogram.</param>
    /// <param name="rounds">Rounds the run plans.</param>
    public static IReadOnlyList<string> Describe(PrivacyOptions privacy, long parameters, bool fairness, int rounds)
    {
        ArgumentNullException.ThrowIfNull(privacy);
        double m = privacy.SamplingRate * (privacy.Population ?? 0);
        double clip = privacy.AdaptiveClipping ? privacy.InitialClipNorm : privacy.ClipNorm;
        var lines = new List<string>();
        if (m > 0)
        {
            lines.AddRange(Noise(privacy.NoiseMultiplier, clip, m, parameters, privacy.AdaptiveClipping ? "initial clip norm" : "clip norm"));
        }

        var budget = new PrivacyBudget(privacy.TargetEpsilon, privacy.Delta);
        var perRound = privacy.RoundReleases(fairness);
        int affordable = 0;
        while (affordable < rounds && budget.CanAfford(perRound))
        {
            foreach (var release in perRound)
            {
                budget.Commit(release.SamplingRate, release.NoiseMultiplier);
            }

            affordable++;
        }

        lines.Add(string.Create(
            CultureInfo.InvariantCulture,
            $"Privacy budget: {affordable} of {rounds} planned rounds fit in epsilon {privacy.TargetEpsilon} (delta {privacy.Delta}); epsilon after them {budget.SpentEpsilon:F4}{(fairness ? ", the fairness histogram's releases included" : string.Empty)}."));
        return lines;
    }

    /// <summary>The noise lines alone, for a planned (z, C, m, d).</summary>
    public static IReadOnlyList<string> Noise(double noiseMultiplier, double clipNorm, double expectedCohort, long parameters, string clipName = "clip norm")
    {
        double perCoordinate = NoisePerCoordinate(noiseMultiplier, clipNorm, expectedCohort);
        double norm = NoiseNorm(noiseMultiplier, clipNorm, expectedCohort, parameters);
        var lines = new List<string>
        {
            string.Create(
                CultureInfo.InvariantCulture,
                $"Noise on the mean: z*C/m = {perCoordinate:G4} per coordinate (m = q*M = {expectedCohort:G4} clients per round); its norm over {parameters:N0} parameters is about {norm:G4}, against the {clipName} C = {clipNorm:G4} that bounds the clipped signal."),
        };
        if (norm > clipNorm)
        {
            double needed = noiseMultiplier * Math.Sqrt(parameters);
            lines.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"Warning: the noise ({norm:G3}) swamps the clipped signal (at most {clipNorm:G3}): the model will mostly learn noise. Sample more clients per round (m towards z*sqrt(d) = {needed:G3}), use a smaller model, or lower the noise multiplier."));
        }

        return lines;
    }
}
