namespace FedTrain.Coordinator.Rounds;

/// <summary>One worker's part in a round: its accepted update's weight and the metrics it reported.</summary>
public sealed record ParticipantResult(string WorkerId, long ExampleCount, long UpdateBytes)
{
    public double? TrainLoss { get; init; }

    public double? TrainAccuracy { get; init; }

    public double? HoldoutAccuracy { get; init; }

    public double? HoldoutLoss { get; init; }

    public double? StepSeconds { get; init; }

    public double? TrainSeconds { get; init; }
}
