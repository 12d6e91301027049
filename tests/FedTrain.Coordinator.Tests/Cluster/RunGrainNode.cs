using FedTrain.Coordinator.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace FedTrain.Coordinator.Tests.Cluster;

/// <summary>One coordinator node of a <see cref="RunGrainCluster"/>: a silo with its own leadership of the run.</summary>
internal sealed class RunGrainNode(InProcessSiloHandle silo)
{
    public InProcessSiloHandle Silo { get; } = silo;

    public string Name => Silo.Name;

    public RunLeadership Leadership { get; } = silo.ServiceProvider.GetRequiredService<RunLeadership>();

    public StandInCoordinatorStarter Starter { get; } = silo.ServiceProvider.GetRequiredService<StandInCoordinatorStarter>();

    /// <summary>
    /// This node's keep-alive call, as <see cref="CoordinatorNode"/> makes it once a second: through its own silo, with
    /// the same five-second limit.
    /// </summary>
    public Task<RunLeaderStatus> KeepLeadingAsync() =>
        Silo.ServiceProvider.GetRequiredService<IGrainFactory>().GetGrain<IRunGrain>(IRunGrain.Key)
            .KeepLeadingAsync().WaitAsync(TimeSpan.FromSeconds(5));
}
