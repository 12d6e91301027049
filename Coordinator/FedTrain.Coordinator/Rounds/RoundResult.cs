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
    DateTimeOffset CommittedAt);
