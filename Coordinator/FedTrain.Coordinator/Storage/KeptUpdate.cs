namespace FedTrain.Coordinator.Storage;

/// <summary>A verified update of the open round, kept in a spool file until the round is committed.</summary>
/// <param name="Round">The round it answers.</param>
/// <param name="ModelVersion">The global model it was trained from; a resumed round uses it only if that model is still current.</param>
/// <param name="ClientId">Whose update it is.</param>
/// <param name="WorkerId">The worker that trained and sent it.</param>
/// <param name="ExampleCount">FedAvg's weight.</param>
/// <param name="FileName">The spool file, relative to the run's spool directory.</param>
/// <param name="GlobalLoss">The client's loss of the global model, which q-FedAvg weighs by; null when not reported.</param>
public sealed record KeptUpdate(long Round, long ModelVersion, string ClientId, string WorkerId, long ExampleCount, string FileName, double? GlobalLoss = null);
