using System.Globalization;

namespace FedTrain.Coordinator;

/// <summary>
/// User-level differential privacy for a run (DP-FedAvg with Poisson client sampling and an RDP accountant).
/// Every parameter is checked at start with a message naming it.
/// </summary>
public sealed class PrivacyOptions
{
    /// <summary>Poisson sampling rate q: each client joins each round independently with this probability.</summary>
    public double SamplingRate { get; set; } = 0.05;

    /// <summary>Noise multiplier z: the noise std on the sum is z·C.</summary>
    public double NoiseMultiplier { get; set; } = 1.0;

    /// <summary>Fixed clip norm C; ignored with adaptive clipping.</summary>
    public double ClipNorm { get; set; } = 1.0;

    /// <summary>Adapt C towards a quantile of the update norms (Andrew et al. 2021).</summary>
    public bool AdaptiveClipping { get; set; }

    public double InitialClipNorm { get; set; } = 0.1;

    public double TargetUnclippedQuantile { get; set; } = 0.5;

    public double ClipLearningRate { get; set; } = 0.2;

    /// <summary>The run stops before a round that would spend more than this.</summary>
    public double TargetEpsilon { get; set; } = 10;

    public double Delta { get; set; } = 1e-5;

    public void Validate()
    {
        Require(double.IsFinite(SamplingRate) && SamplingRate > 0 && SamplingRate <= 1, nameof(SamplingRate), "must be in (0, 1]", SamplingRate);
        Require(double.IsFinite(NoiseMultiplier) && NoiseMultiplier > 0, nameof(NoiseMultiplier), "must be positive and finite", NoiseMultiplier);
        Require(double.IsFinite(ClipNorm) && ClipNorm > 0, nameof(ClipNorm), "must be positive and finite", ClipNorm);
        Require(double.IsFinite(InitialClipNorm) && InitialClipNorm > 0, nameof(InitialClipNorm), "must be positive and finite", InitialClipNorm);
        Require(TargetUnclippedQuantile is >= 0 and <= 1, nameof(TargetUnclippedQuantile), "must be in [0, 1]", TargetUnclippedQuantile);
        Require(double.IsFinite(ClipLearningRate) && ClipLearningRate > 0, nameof(ClipLearningRate), "must be positive and finite", ClipLearningRate);
        Require(double.IsFinite(TargetEpsilon) && TargetEpsilon > 0, nameof(TargetEpsilon), "must be positive and finite", TargetEpsilon);
        Require(double.IsFinite(Delta) && Delta > 0 && Delta < 1, nameof(Delta), "must be in (0, 1)", Delta);
    }

    /// <summary>How the summary and logs name the mechanism.</summary>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"dp-fedavg(q={SamplingRate}, z={NoiseMultiplier}, clip={(AdaptiveClipping ? $"adaptive from {InitialClipNorm}, quantile {TargetUnclippedQuantile}" : ClipNorm.ToString(CultureInfo.InvariantCulture))})");

    private static void Require(bool condition, string option, string rule, double value)
    {
        if (!condition)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Privacy option {option} {rule}; got {value}."), option);
        }
    }
}
