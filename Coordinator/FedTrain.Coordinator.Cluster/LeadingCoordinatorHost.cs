using FedTrain.Coordinator.Hosting;
using FedTrain.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Cluster;

/// <summary>The coordinator a leading node runs in production: <see cref="CoordinatorHost"/>, as <see cref="RunLeadership"/> sees it.</summary>
internal sealed class LeadingCoordinatorHost : ILeadingCoordinator
{
    private LeadingCoordinatorHost(CoordinatorHost host) => Host = host;

    public CoordinatorHost Host { get; }

    public int GrpcPort => Host.GrpcPort;

    /// <summary>Starts the coordinator: the lease, the resume from the database, the round loop, the ports.</summary>
    public static async Task<ILeadingCoordinator> StartAsync(
        CoordinatorOptions options, ILoggerFactory loggerFactory, ICoordinatorCluster? cluster, CancellationToken cancellationToken) =>
        new LeadingCoordinatorHost(await CoordinatorHost.StartAsync(options, loggerFactory, cancellationToken, cluster).ConfigureAwait(false));

    public async Task<RunLeadershipState> WhenEndedAsync(CancellationToken cancellationToken)
    {
        await Host.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        // A run that ended as failed did not finish: the node reports it stopped.
        return Host.Orchestrator.HasFailed
            ? RunLeadershipState.Stopped
            : RunLeadershipState.Finished;
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
