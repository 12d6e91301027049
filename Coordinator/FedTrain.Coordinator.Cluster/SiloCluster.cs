using FedTrain.Coordinator.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// The coordinator cluster as the leading node's host sees it: the silos of this node's membership view, and the
/// Orleans instruments of <see cref="FedTrain.Telemetry.KeptOrleansInstruments.Kept"/>.
/// </summary>
internal sealed class SiloCluster(IServiceProvider silo, string nodeName) : ICoordinatorCluster
{
    private readonly IClusterMembershipService _membership = silo.GetRequiredService<IClusterMembershipService>();
    private readonly ILocalSiloDetails _local = silo.GetRequiredService<ILocalSiloDetails>();

    public IReadOnlyList<ClusterNodeView> Nodes() =>
    [
        .. _membership.CurrentSnapshot.Members.Values
            .Select(member => (member, status: Status(member.Status)))
            .Where(m => m.status is not null)
            .Select(m => new ClusterNodeView(
                // This node's silo name is its node name; the others' too, once they are of this version.
                m.member.SiloAddress.Equals(_local.SiloAddress) ? nodeName : m.member.Name,
                m.member.SiloAddress.Endpoint.ToString(),
                m.status!,
                Leads: m.member.SiloAddress.Equals(_local.SiloAddress))),
    ];

    public void AddMeters(MeterProviderBuilder metrics) => OrleansMetrics.Add(metrics);

    /// <summary>The node states the page and the gauge show; null for a silo that is gone or not yet started.</summary>
    private static string? Status(SiloStatus status) => status switch
    {
        SiloStatus.Joining => ClusterNodeView.Joining,
        SiloStatus.Active => ClusterNodeView.Active,
        SiloStatus.ShuttingDown or SiloStatus.Stopping => ClusterNodeView.ShuttingDown,
        _ => null,
    };
}
