namespace FedTrain.Coordinator.Rounds;

/// <summary>One client's part in a round: its accepted update's weight and the metrics its worker reported.</summary>
public sealed record ParticipantResult(string ClientId, string WorkerId, long ExampleCount, long UpdateBytes)
{
    public double? TrainLoss { get; init; }

    public double? TrainAccuracy { get; init; }

    public double? HoldoutAccuracy { get; init; }

    public double? HoldoutLoss { get; init; }

    public double? StepSeconds { get; init; }

    public double? TrainSeconds { get; init; }

    /// <summary>Record-level ε of the client's DP-SGD training, as its worker accounts it; null without DP-SGD.</summary>
    public double? RecordEpsilon { get; init; }
}
