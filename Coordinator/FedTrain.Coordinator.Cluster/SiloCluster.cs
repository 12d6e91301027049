using FedTrain.Coordinator.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// The coordinator cluster as the leading node's host sees it: the silos of this node's membership view, and the
/// Orleans instruments of <see cref="FedTrain.Telemetry.KeptOrleansInstruments.Kept"/>, and the nodes that receive uploads
/// (none in a cluster of one, which no other node can join).
/// </summary>
internal sealed class SiloCluster(IServiceProvider silo, IntakeNodeDirectory? intakeNodes) : ICoordinatorCluster
{
    private readonly IClusterMembershipService _membership = silo.GetRequiredService<IClusterMembershipService>();
    private readonly ILocalSiloDetails _local = silo.GetRequiredService<ILocalSiloDetails>();

    // A silo is named after its node (CoordinatorNode sets the silo name), so the membership's names are the nodes'.
    public IReadOnlyList<ClusterNodeView> Nodes() =>
    [
        .. from member in _membership.CurrentSnapshot.Members.Values
           let status = Status(member.Status)
           where status is not null
           let self = member.SiloAddress.Equals(_local.SiloAddress)
           select new ClusterNodeView(member.Name, member.SiloAddress.Endpoint.ToString(), status, Leads: self),
    ];

    public void AddMeters(MeterProviderBuilder metrics) => OrleansMetrics.Add(metrics);

    public Intake.IIntakeNodes? IntakeNodes => intakeNodes;

    /// <summary>The node states the page and the gauge show; null for a silo that is gone or not yet started.</summary>
    private static string? Status(SiloStatus status) => status switch
    {
        SiloStatus.Joining => ClusterNodeView.Joining,
        SiloStatus.Active => ClusterNodeView.Active,
        SiloStatus.ShuttingDown or SiloStatus.Stopping => ClusterNodeView.ShuttingDown,
        _ => null,
    };
}
