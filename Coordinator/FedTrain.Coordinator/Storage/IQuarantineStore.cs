using FedTrain.Coordinator.Registry;

namespace FedTrain.Coordinator.Storage;

/// <summary>
/// Durable quarantine state (schema migration 5, table <c>worker_quarantine</c>), so that a worker that kept failing
/// is still kept out after the coordinator restarts.
/// </summary>
public interface IQuarantineStore
{
    /// <summary>Replaces the run's quarantine state with <paramref name="entries"/>, in one transaction.</summary>
    Task SaveQuarantineAsync(string runId, IReadOnlyList<QuarantineEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>The run's quarantine state as last saved, by worker id.</summary>
    Task<IReadOnlyList<QuarantineEntry>> LoadQuarantineAsync(string runId, CancellationToken cancellationToken = default);
}
