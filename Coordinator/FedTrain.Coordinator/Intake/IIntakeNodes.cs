namespace FedTrain.Coordinator.Intake;

/// <summary>
/// The leading node's view of the other nodes that receive uploads for it: where each worker sends its uploads, and
/// how a node's share of a round is collected when the round closes. The cluster layer implements it over Orleans
/// (grain calls carry who and how many, never model bytes); a coordinator of its own has none.
/// </summary>
public interface IIntakeNodes
{
    /// <summary>The node a worker is sent to for <paramref name="round"/>; null for the leading node itself.</summary>
    string? EndpointFor(string workerId, long round);

    /// <summary>
    /// Asks <paramref name="node"/> to write the sum of the updates it received for <paramref name="round"/>'s opening
    /// <paramref name="roundKey"/>. Null when the node is gone or cannot give exactly <paramref name="clients"/>'
    /// updates of that opening; the leader then reads those updates from the shared spool itself.
    /// </summary>
    Task<PartialSum?> SealAsync(string node, long round, string roundKey, IReadOnlyList<string> clients, CancellationToken cancellationToken);
}
