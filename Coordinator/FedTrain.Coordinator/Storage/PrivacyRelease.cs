namespace FedTrain.Coordinator.Storage;

/// <summary>
/// One noised release as the privacy ledger records it, before the release leaves the coordinator. The ledger
/// counts releases of rounds that were never committed too: their noise was seen, so their ε was spent.
/// </summary>
/// <param name="ClipNorm">The L2 bound on one client's contribution (1 for the fairness histogram: one count).</param>
/// <param name="NextClipNorm">The clip norm handed on to the next round: the same as <paramref name="ClipNorm"/> until the
/// release completed (a release cut short by a crash hands on nothing new).</param>
public sealed record PrivacyRelease(long Round, int Attempt, double SamplingRate, double NoiseMultiplier, double ClipNorm, double NextClipNorm)
{
    /// <summary>The release of a round's noised model (DP-FedAvg).</summary>
    public const string Model = "model";

    /// <summary>The release of a round's noised histogram of client accuracies (the fairness figures).</summary>
    public const string FairnessHistogram = "fairness_histogram";

    /// <summary>What was released: <see cref="Model"/> or <see cref="FairnessHistogram"/>.</summary>
    public string Mechanism { get; init; } = Model;
}
