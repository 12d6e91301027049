namespace FedTrain.Coordinator.Storage;

/// <summary>
/// One noised release as the privacy ledger records it, before the release leaves the coordinator. The ledger
/// counts releases of rounds that were never committed too: their noise was seen, so their ε was spent.
/// </summary>
public sealed record PrivacyRelease(long Round, int Attempt, double SamplingRate, double NoiseMultiplier, double ClipNorm, double NextClipNorm);
