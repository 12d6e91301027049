using FedTrain.Coordinator.Storage;

namespace FedTrain.Coordinator.Intake;

/// <summary>How a node that receives uploads reaches the node leading the run (over Orleans, in the cluster layer).</summary>
public interface IIntakeLeader
{
    /// <summary>The open round's ticket if <paramref name="round"/> is open at the leader; null otherwise.</summary>
    Task<IntakeTicket?> TicketAsync(long round, CancellationToken cancellationToken);

    /// <summary>
    /// The key of the open round's opening if <paramref name="round"/> is open; null otherwise. A small call, made for
    /// each upload, so that a ticket of an earlier attempt of the round is never used.
    /// </summary>
    Task<string?> RoundKeyAsync(long round, CancellationToken cancellationToken);

    /// <summary>
    /// Has the leader count an update this node kept in the shared spool: the leader checks the round still takes it,
    /// counts it and records it in the journal; once this completes the update may be acknowledged.
    /// </summary>
    /// <exception cref="Rounds.UpdateRejectedException">The round refused it (closed or opened again, duplicate, not selected).</exception>
    Task RecordAsync(string node, string roundKey, KeptUpdate update, CancellationToken cancellationToken);
}
