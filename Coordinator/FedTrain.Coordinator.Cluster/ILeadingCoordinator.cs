namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// What <see cref="RunLeadership"/> needs of the coordinator it starts when this node leads: where workers reach it,
/// and when and how the run ended here. In production it is <see cref="Hosting.CoordinatorHost"/>
/// (<see cref="LeadingCoordinatorHost"/>); the grain layer's tests put a stand-in here, so that they exercise
/// activation, failover and the answers to the keep-alive without a model, a database or ports.
/// </summary>
internal interface ILeadingCoordinator : IAsyncDisposable
{
    /// <summary>The worker-facing gRPC port, which the keep-alive answers name.</summary>
    int GrpcPort { get; }

    /// <summary>
    /// Completes when the run ended on this node: <see cref="RunLeadershipState.Finished"/>, or
    /// <see cref="RunLeadershipState.Stopped"/> when it ended as failed. Throws what stopped the coordinator otherwise
    /// (the lease lost to another node, a store error).
    /// </summary>
    Task<RunLeadershipState> WhenEndedAsync(CancellationToken cancellationToken);
}
