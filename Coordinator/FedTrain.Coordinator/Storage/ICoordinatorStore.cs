using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Storage;

/// <summary>
/// Durable coordinator state, in SQLite (embedded) or PostgreSQL behind the same contract and schema. A round
/// exists in the store only once it is committed: its checkpoint file is written (atomically) before
/// <see cref="CommitRoundAsync"/> records it, so a crash never leaves a round that points at a missing model.
/// </summary>
public interface ICoordinatorStore : IDisposable, IQuarantineStore, ICohortStore
{
    /// <summary>The schema version the store was migrated to when it was opened.</summary>
    int SchemaVersion { get; }

    /// <summary>
    /// Takes the run's lease for <paramref name="holder"/> (a name for the logs: host, process) and returns its new
    /// epoch. From then on every write of the run's state through this store fails with
    /// <see cref="RunFencedException"/> once another store has taken the lease after it.
    /// </summary>
    Task<long> TakeLeaseAsync(string holder, CancellationToken cancellationToken = default);

    /// <summary>The epoch taken with <see cref="TakeLeaseAsync"/>; null before (writes are then not fenced).</summary>
    long? LeaseEpoch { get; }

    /// <summary>Throws <see cref="RunFencedException"/> when this store no longer holds the lease; writes nothing.</summary>
    Task CheckLeaseAsync(CancellationToken cancellationToken = default);

    /// <summary>The run stored here, or null for a fresh store.</summary>
    Task<RunRecord?> LoadRunAsync(CancellationToken cancellationToken = default);

    Task CreateRunAsync(RunRecord run, CancellationToken cancellationToken = default);

    Task FinishRunAsync(string runId, string status, CancellationToken cancellationToken = default);

    /// <summary>Records a committed round and its participants in one transaction, and drops its pending record.</summary>
    /// <exception cref="InvalidOperationException">The round is already committed; nothing is changed.</exception>
    Task CommitRoundAsync(string runId, RoundResult result, CancellationToken cancellationToken = default);

    /// <summary>Committed rounds in order.</summary>
    Task<IReadOnlyList<RoundResult>> LoadRoundsAsync(string runId, CancellationToken cancellationToken = default);

    Task UpsertWorkerAsync(WorkerInfo worker, DateTimeOffset seenAt, CancellationToken cancellationToken = default);

    /// <summary>Every worker that ever registered, by id.</summary>
    Task<IReadOnlyList<WorkerInfo>> LoadWorkersAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Durably records a release before its noise is drawn (see <see cref="PrivacyRelease"/>): a crash at any later
    /// point can only over-count. Returns the ledger row's id.
    /// </summary>
    Task<long> RecordPrivacyReleaseAsync(string runId, PrivacyRelease release, CancellationToken cancellationToken = default);

    /// <summary>Every release recorded for the run, in order.</summary>
    Task<IReadOnlyList<PrivacyRelease>> LoadPrivacyReleasesAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records an aggregated round whose checkpoint is written but which is not committed yet, and (under DP) the
    /// completion of its model release, in one transaction. Replaces an earlier pending record of the same round.
    /// </summary>
    Task SavePendingRoundAsync(string runId, PendingRound pending, ReleaseCompletion? release, CancellationToken cancellationToken = default);

    /// <summary>The run's aggregated but uncommitted round, or null.</summary>
    Task<PendingRound?> LoadPendingRoundAsync(string runId, CancellationToken cancellationToken = default);
}
