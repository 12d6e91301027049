using OpenTelemetry.Metrics;

namespace FedTrain.Coordinator.Hosting;

/// <summary>
/// What the cluster a coordinator runs in adds to the leading node's host: the nodes it can see, for
/// <c>/api/cluster</c>, the live page and the node gauge, and the cluster runtime's own meters on <c>/metrics</c>.
/// </summary>
/// <remarks>An interface so that the host stays free of the cluster runtime: the Orleans node implements it.</remarks>
public interface ICoordinatorCluster
{
    /// <summary>The nodes of the cluster that have not left it, this one included.</summary>
    IReadOnlyList<ClusterNodeView> Nodes();

    /// <summary>Adds the cluster runtime's meters (those worth a dashboard, each with its help text) to the host's metrics.</summary>
    void AddMeters(MeterProviderBuilder metrics);

    /// <summary>The other nodes that receive uploads for the leading node; null where every upload comes to it.</summary>
    Intake.IIntakeNodes? IntakeNodes { get; }
}
