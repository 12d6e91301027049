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

    /// <summary>
    /// True under DP: <see cref="Participants"/>, <see cref="Failures"/> and <see cref="ClientEvaluations"/> are empty and
    /// <see cref="Selected"/> is 0 because they are not published, not because nothing happened. Outputs show them as
    /// withheld.
    /// </summary>
    public bool ClientDetailWithheld { get; init; }

    /// <summary>The form a DP run publishes: no client ids, no per-client figures, no exact cohort or counts.</summary>
    public RoundResult WithClientDetailWithheld() => this with
    {
        Selected = 0,
        Participants = [],
        Failures = [],
        ClientEvaluations = [],
        ClientDetailWithheld = true,
    };
}
