using FedTrain.Coordinator.Evaluation;
using FedTrain.Core.Fairness;

namespace FedTrain.Coordinator.Rounds;

/// <summary>A committed round: what was aggregated and how the new global model scores on the test set.</summary>
public sealed record RoundResult(
    long Round,
    long ModelVersion,
    double TestAccuracy,
    double TestLoss,
    int Selected,
    IReadOnlyList<ParticipantResult> Participants,
    IReadOnlyList<string> Failures,
    double DurationSeconds,
    long UpdateBytes,
    IReadOnlyList<double> PerClassAccuracy,
    string CheckpointPath,
    DateTimeOffset CommittedAt)
{
    /// <summary>Federated evaluation of the new model on each sampled client's held-out data.</summary>
    public IReadOnlyList<ClientEvaluationResult> ClientEvaluations { get; init; } = [];

    /// <summary>Fairness of <see cref="ClientEvaluations"/>; null when no client was evaluated.</summary>
    public FairnessReport? Fairness { get; init; }

    /// <summary>Why the strategy kept the previous model this round; null when it aggregated.</summary>
    public string? SkipReason { get; init; }

    /// <summary>ε spent by the run after this round (all noised releases so far); null without DP.</summary>
    public double? Epsilon { get; init; }

    /// <summary>The clip norm the round's updates were clipped to under DP; null without DP.</summary>
    public double? ClipNorm { get; init; }
}
