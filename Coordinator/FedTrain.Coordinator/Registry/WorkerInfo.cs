namespace FedTrain.Coordinator.Registry;

/// <summary>What a worker told the coordinator when it registered.</summary>
/// <param name="WorkerId">Stable identity chosen by the worker (or its credential, later).</param>
/// <param name="ExampleCount">Training examples it holds.</param>
/// <param name="LabelHistogram">Examples per class label.</param>
/// <param name="Device">Where it trains: cpu, cuda, ...</param>
public sealed record WorkerInfo(string WorkerId, long ExampleCount, IReadOnlyList<long> LabelHistogram, string Device);
