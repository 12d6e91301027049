namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>
/// The JSON at <c>/api/cluster</c>: the coordinator nodes, the leading one first. It names nodes, never workers or
/// clients, so it is the same with or without DP.
/// </summary>
internal static class ClusterReport
{
    public static object Build(ICoordinatorCluster cluster)
    {
        var nodes = cluster.Nodes().OrderByDescending(n => n.Leads).ThenBy(n => n.Name, StringComparer.Ordinal).ToList();
        return new
        {
            Nodes = nodes,
            Active = nodes.Count(n => n.Status == ClusterNodeView.Active),
        };
    }
}
