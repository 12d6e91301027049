namespace FedTrain.Coordinator.Intake;

/// <summary>A client selected for the open round, as a node receiving its upload checks it.</summary>
/// <param name="ClientId">The client.</param>
/// <param name="WorkerId">The worker that trains it: the only one that may upload its update.</param>
/// <param name="ExampleCount">The examples it registered with: the most its update may claim.</param>
public sealed record IntakeClient(string ClientId, string WorkerId, long ExampleCount);
