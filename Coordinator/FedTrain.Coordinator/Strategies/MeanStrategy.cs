using FedTrain.Core.Aggregation;
using FedTrain.Core.Strategies;

namespace FedTrain.Coordinator.Strategies;

/// <summary>FedAvg and its server-optimizer variants, and FedProx (FedAvg with a proximal term on the workers).</summary>
internal sealed class MeanStrategy : IAggregationStrategy
{
    private readonly WeightedSum _sum;
    private readonly IServerOptimizer? _optimizer;

    public MeanStrategy(string description, int length, IServerOptimizer? optimizer, double proximalMu = 0)
    {
        Description = description;
        _sum = new WeightedSum(length);
        _optimizer = optimizer;
        ProximalMu = proximalMu;
    }

    public string Description { get; }

    public double ProximalMu { get; }

    public bool NeedsGlobalLoss => false;

    public IRoundAggregator Begin(long round, int selectedClients, int population)
    {
        _sum.Reset();
        return new MeanAggregator(_sum, _optimizer);
    }

    public void Dispose()
    {
    }
}
