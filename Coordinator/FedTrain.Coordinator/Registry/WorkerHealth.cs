namespace FedTrain.Coordinator.Registry;

/// <summary>A worker as the registry sees it now.</summary>
/// <param name="Info">What it registered with.</param>
/// <param name="LastSeen">Its last registration, heartbeat or call.</param>
/// <param name="IsLive">False once it has been silent past the worker timeout.</param>
public sealed record WorkerHealth(WorkerInfo Info, DateTimeOffset LastSeen, bool IsLive);
