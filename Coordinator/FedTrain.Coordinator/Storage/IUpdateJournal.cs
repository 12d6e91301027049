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
    void RecordKeptUpdates(IReadOnlyList<(string RunId, KeptUpdate Update)> updates);

    /// <summary>The updates kept for <paramref name="round"/>, in the order they were recorded.</summary>
    IReadOnlyList<KeptUpdate> LoadKeptUpdates(string runId, long round);

    /// <summary>Forgets the kept updates of <paramref name="round"/> (after its commit, or when an attempt is abandoned).</summary>
    void DeleteKeptUpdates(string runId, long round);
}
