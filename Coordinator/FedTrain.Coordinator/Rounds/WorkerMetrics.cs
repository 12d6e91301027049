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
    double TrainSeconds)
{
    /// <summary>The client's loss of the global model before local training; reported when the strategy needs it (q-FedAvg).</summary>
    public double? GlobalLoss { get; init; }

    /// <summary>Record-level ε the client's worker reports for its DP-SGD training so far; null without DP-SGD.</summary>
    public double? RecordEpsilon { get; init; }
}
