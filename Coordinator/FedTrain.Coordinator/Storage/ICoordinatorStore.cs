using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Storage;

/// <summary>
/// Durable coordinator state. A round exists in the store only once it is committed: its checkpoint file is
/// written (atomically) before <see cref="CommitRound"/> records it, so a crash never leaves a round that
/// points at a missing model.
/// </summary>
public interface ICoordinatorStore : IDisposable
{
    /// <summary>The run stored here, or null for a fresh store.</summary>
    RunRecord? LoadRun();

    void CreateRun(RunRecord run);

    void FinishRun(string runId, string status);

    /// <summary>Records a committed round and its participants in one transaction.</summary>
    void CommitRound(string runId, RoundResult result);

    /// <summary>Committed rounds in order.</summary>
    IReadOnlyList<RoundResult> LoadRounds(string runId);

    void UpsertWorker(WorkerInfo worker, DateTimeOffset seenAt);

    /// <summary>Durably records a noised release before it is used; see <see cref="PrivacyRelease"/>.</summary>
    void RecordPrivacyRelease(string runId, long round, int attempt, double samplingRate, double noiseMultiplier, double clipNorm, double nextClipNorm);

    /// <summary>Every release recorded for the run, in order.</summary>
    IReadOnlyList<PrivacyRelease> LoadPrivacyReleases(string runId);
}
