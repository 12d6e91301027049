using OpenTelemetry.Metrics;

namespace FedTrain.Coordinator.Hosting;

/// <summary>A coordinator started outside any cluster (embedded in a test or a tool): one node, this process, leading.</summary>
internal sealed class StandaloneCluster : ICoordinatorCluster
{
    private readonly ClusterNodeView[] _self =
        [new(CoordinatorProcess.Name, "-", ClusterNodeView.Active, Leads: true)];

    public IReadOnlyList<ClusterNodeView> Nodes() => _self;

    public void AddMeters(MeterProviderBuilder metrics)
    {
        // No cluster runtime, no meters of its own.
    }

    /// <summary>No other node: every upload comes to this one.</summary>
    public Intake.IIntakeNodes? IntakeNodes => null;
}
