namespace FedTrain.Coordinator.Storage;

/// <summary>
/// A model release whose noise was drawn and whose model is checkpointed: the ledger row <paramref name="ReleaseId"/>
/// (written before the noise) learns the clip norm the release hands on to the next round.
/// </summary>
public sealed record ReleaseCompletion(long ReleaseId, double NextClipNorm);
