namespace FedTrain.Coordinator.Hosting;

/// <summary>One node of the coordinator cluster as the leading node sees it.</summary>
/// <param name="Name">The node's name (host and process id), as its logs give it.</param>
/// <param name="Address">Its silo endpoint, where the other nodes reach it.</param>
/// <param name="Status"><c>joining</c>, <c>active</c> or <c>shutting_down</c>.</param>
/// <param name="Leads">Whether it leads the run: the node answering this.</param>
public sealed record ClusterNodeView(string Name, string Address, string Status, bool Leads)
{
    public const string Joining = "joining";
    public const string Active = "active";
    public const string ShuttingDown = "shutting_down";
}
