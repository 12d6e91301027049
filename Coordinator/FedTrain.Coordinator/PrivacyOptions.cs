using System.Globalization;
using FedTrain.Privacy;

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

    /// <summary>
    /// M, the number of clients in the federation, a public constant the operator states: the denominator of the
    /// mean is m = q·M. Taking it from the live registry would make the mechanism depend on who happens to be online.
    /// Required.
    /// </summary>
    public int? Population { get; set; }

    /// <summary>Accepts δ ≥ 1/M, which lets a mechanism publish one client's data outright with probability δ·M.</summary>
    public bool AllowDeltaAboveInversePopulation { get; set; }

    /// <summary>Poisson rate at which clients are sampled for the fairness evaluation of each round; null means <see cref="SamplingRate"/>.</summary>
    public double? EvaluationSamplingRate { get; set; }

    /// <summary>Noise multiplier of the fairness histogram (its sensitivity is one client): the noise std on every bucket.</summary>
    public double EvaluationNoiseMultiplier { get; set; } = DefaultEvaluationNoiseMultiplier;

    /// <summary>Buckets of the fairness histogram over accuracies in [0, 1].</summary>
    public int FairnessBuckets { get; set; } = 20;

    /// <summary>The default <see cref="EvaluationNoiseMultiplier"/>.</summary>
    public const double DefaultEvaluationNoiseMultiplier = 4;

    /// <summary>The Poisson rate of the fairness evaluation's sample.</summary>
    public double EffectiveEvaluationSamplingRate => EvaluationSamplingRate ?? SamplingRate;

    /// <summary>One round's model release: the Sampled Gaussian Mechanism at (q, z).</summary>
    public SgmEvent ModelRelease => new(SamplingRate, NoiseMultiplier, 1);

    /// <summary>One round's fairness release: the noised histogram of a Poisson sample of clients.</summary>
    public SgmEvent EvaluationRelease => new(EffectiveEvaluationSamplingRate, EvaluationNoiseMultiplier, 1);

    /// <summary>What one round releases: the model, plus the fairness histogram when federated evaluation is on.</summary>
    public IReadOnlyList<SgmEvent> RoundReleases(bool federatedEvaluation) =>
        federatedEvaluation ? [ModelRelease, EvaluationRelease] : [ModelRelease];

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
        if (Population is not { } population)
        {
            throw new ArgumentException(
                "Privacy option population (--population-size) is required: the number of clients M in the federation, a public constant. The mean's denominator is q*M.",
                nameof(Population));
        }

        Require(population >= 1, nameof(Population), "must be at least 1", population);
        if (Delta >= 1.0 / population && !AllowDeltaAboveInversePopulation)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Privacy option delta {Delta} is not below 1/population = {1.0 / population:G4}: with delta >= 1/M a mechanism may publish a client's data outright. Lower delta, or set allow_delta_above_inverse_population (--allow-large-delta) to accept it."),
                nameof(Delta));
        }

        Require(EvaluationSamplingRate is null or (> 0 and <= 1), nameof(EvaluationSamplingRate), "must be in (0, 1]", EvaluationSamplingRate ?? 0);
        Require(double.IsFinite(EvaluationNoiseMultiplier) && EvaluationNoiseMultiplier > 0, nameof(EvaluationNoiseMultiplier), "must be positive and finite", EvaluationNoiseMultiplier);
        Require(FairnessBuckets is >= 2 and <= 1000, nameof(FairnessBuckets), "must be in [2, 1000]", FairnessBuckets);
    }

    /// <summary>How the summary and logs name the mechanism.</summary>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"dp-fedavg(q={SamplingRate}, z={NoiseMultiplier}, M={Population}, clip={(AdaptiveClipping ? $"adaptive from {InitialClipNorm}, quantile {TargetUnclippedQuantile}" : ClipNorm.ToString(CultureInfo.InvariantCulture))})");

    private static void Require(bool condition, string option, string rule, double value)
    {
        if (!condition)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Privacy option {option} {rule}; got {value}."), option);
        }
    }
}
