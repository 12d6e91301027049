namespace FedTrain.Coordinator.Cluster;

/// <summary>What the node leading the run says about it, to the keep-alive of every node.</summary>
/// <param name="Leader">The leading node's name (host and process) and its worker-facing gRPC address.</param>
/// <param name="State">Starting, leading, finished or stopped.</param>
[GenerateSerializer]
[Immutable]
public sealed record RunLeaderStatus([property: Id(0)] string Leader, [property: Id(1)] RunLeadershipState State);
