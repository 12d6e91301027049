using FedTrain.Coordinator.Storage;

namespace FedTrain.Coordinator.Intake;

/// <summary>How a node that receives uploads reaches the node leading the run (over Orleans, in the cluster layer).</summary>
public interface IIntakeLeader
{
    /// <summary>The open round's ticket if <paramref name="round"/> is open at the leader; null otherwise.</summary>
    Task<IntakeTicket?> TicketAsync(long round, CancellationToken cancellationToken);

    /// <summary>
    /// Has the leader count an update this node kept in the shared spool: the leader checks the round still takes it,
    /// counts it and records it in the journal; once this completes the update may be acknowledged.
    /// </summary>
    /// <exception cref="Rounds.UpdateRejectedException">The round refused it (closed, duplicate, not selected).</exception>
    Task RecordAsync(string node, KeptUpdate update, CancellationToken cancellationToken);
}
