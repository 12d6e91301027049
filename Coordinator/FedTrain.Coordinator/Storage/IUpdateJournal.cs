namespace FedTrain.Coordinator.Storage;

/// <summary>
/// Durable record of the updates the open round has kept: a row exists only once its spool file is complete,
/// verified and renamed into place, so after a crash every recorded update is resumed exactly once and any
/// unrecorded file is an upload that was never acknowledged.
/// </summary>
public interface IUpdateJournal
{
    /// <summary>
    /// Records kept updates in one transaction: all or none. A second record for the same (run, round, client) is
    /// refused, and so is the transaction holding it.
    /// </summary>
    Task RecordKeptUpdatesAsync(IReadOnlyList<(string RunId, KeptUpdate Update)> updates, CancellationToken cancellationToken = default);

    /// <summary>The updates kept for <paramref name="round"/>, in the order they were recorded.</summary>
    Task<IReadOnlyList<KeptUpdate>> LoadKeptUpdatesAsync(string runId, long round, CancellationToken cancellationToken = default);

    /// <summary>Forgets the kept updates of <paramref name="round"/> (after its commit, or when an attempt is abandoned).</summary>
    Task DeleteKeptUpdatesAsync(string runId, long round, CancellationToken cancellationToken = default);
}
