using FedTrain.Core.Aggregation;
using FedTrain.Core.Strategies;

namespace FedTrain.Coordinator.Strategies;

/// <summary>FedAvg and its server-optimizer variants, and FedProx (FedAvg with a proximal term on the workers).</summary>
internal sealed class MeanStrategy : IAggregationStrategy, IModelBufferRecycler, IServerOptimizerOwner
{
    private readonly WeightedSum _sum;
    private readonly IServerOptimizer? _optimizer;
    private float[]? _spare;

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

    public IServerOptimizer? ServerOptimizer => _optimizer;

    public IRoundAggregator Begin(long round, int selectedClients, int population)
    {
        if (_sum.IsDetached)
        {
            // Last round's sum became the model; the model it replaced is the sum now.
            _sum.Attach(_spare ?? new float[_sum.Length]);
            _spare = null;
        }

        _sum.Reset();
        return new MeanAggregator(_sum, _optimizer);
    }

    public void Recycle(float[] retired)
    {
        ArgumentNullException.ThrowIfNull(retired);
        if (retired.LongLength == _sum.Length)
        {
            _spare = retired;
        }
    }

    public void Dispose()
    {
    }
}
