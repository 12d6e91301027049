namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// A server strategy, after the strategies of the leading FL frameworks: how workers train (configure fit) and
/// how their updates become the next global model (aggregate fit). Federated evaluation is the orchestrator's.
/// </summary>
public interface IAggregationStrategy : IDisposable
{
    /// <summary>The name and parameters, as configured (e.g. <c>trimmed-mean(beta=0.2)</c>).</summary>
    string Description { get; }

    /// <summary>FedProx's μ for the workers' proximal term; 0 for plain local training.</summary>
    double ProximalMu { get; }

    /// <summary>Whether workers must report each client's loss of the global model before training (q-FedAvg).</summary>
    bool NeedsGlobalLoss { get; }

    /// <summary>Starts aggregating a round. Buffers are reused from round to round.</summary>
    /// <param name="round">The round number.</param>
    /// <param name="selectedClients">Clients selected this round.</param>
    /// <param name="population">Clients registered in the federation (M, for DP's sampling rate).</param>
    IRoundAggregator Begin(long round, int selectedClients, int population);
}
