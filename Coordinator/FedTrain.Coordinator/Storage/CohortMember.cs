namespace FedTrain.Coordinator.Storage;

/// <summary>One client of a recorded cohort, with the worker that was to train it.</summary>
/// <param name="ClientId">The sampled client.</param>
/// <param name="WorkerId">Its worker when it was sampled.</param>
/// <param name="ExampleCount">Its training examples when it was sampled.</param>
public sealed record CohortMember(string ClientId, string WorkerId, long ExampleCount);
