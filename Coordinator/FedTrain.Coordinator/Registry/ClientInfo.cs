namespace FedTrain.Coordinator.Registry;

/// <summary>One data owner: the unit that is sampled, trained, aggregated and (later) protected by DP.</summary>
/// <param name="ClientId">Unique across the federation.</param>
/// <param name="WorkerId">The worker process that trains for this client.</param>
/// <param name="ExampleCount">Training examples the client holds (FedAvg's weight).</param>
/// <param name="LabelHistogram">Examples per class label.</param>
public sealed record ClientInfo(string ClientId, string WorkerId, long ExampleCount, IReadOnlyList<long> LabelHistogram);
