namespace FedTrain.Coordinator.Rounds;

/// <summary>Local figures a worker reports after training in a round.</summary>
public sealed record WorkerMetrics(
    double TrainLoss,
    double TrainAccuracy,
    double HoldoutAccuracy,
    double HoldoutLoss,
    long ExampleCount,
    long Steps,
    double StepSeconds,
    double TrainSeconds);
