namespace FedTrain.Coordinator.Registry;

/// <summary>What a worker told the coordinator when it registered.</summary>
/// <param name="WorkerId">Stable identity chosen by the worker (or its credential, later).</param>
/// <param name="Clients">The clients it trains for; a single-client worker has one, named like the worker.</param>
/// <param name="Device">Where it trains: cpu, cuda, ...</param>
public sealed record WorkerInfo(string WorkerId, IReadOnlyList<ClientInfo> Clients, string Device)
{
    /// <summary>Training examples over all its clients.</summary>
    public long ExampleCount => Clients.Sum(c => c.ExampleCount);
}
