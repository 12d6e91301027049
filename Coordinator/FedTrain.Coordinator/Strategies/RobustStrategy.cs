using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Robust;

namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// Byzantine-robust aggregation: coordinate-wise median, trimmed mean, Krum / Multi-Krum and norm bounding. These
/// need every update of the round, so updates go to a spool that keeps them in memory up to a budget and spills
/// the rest to a temporary file; the rules then work through the parameters range by range.
/// </summary>
internal sealed class RobustStrategy : IAggregationStrategy
{
    private readonly RobustRule _rule;
    private readonly int _length;
    private readonly long _memoryBudgetBytes;
    private readonly string _spillDirectory;
    private readonly float[] _aggregate;

    public RobustStrategy(string description, RobustRule rule, int length, long memoryBudgetBytes, string spillDirectory)
    {
        Description = description;
        _rule = rule;
        _length = length;
        _memoryBudgetBytes = memoryBudgetBytes;
        _spillDirectory = spillDirectory;
        _aggregate = new float[length];
    }

    public string Description { get; }

    public double ProximalMu => 0;

    public bool NeedsGlobalLoss => false;

    public IRoundAggregator Begin(long round, int selectedClients, int population) =>
        new Aggregator(_rule, new UpdateSpool(_length, _memoryBudgetBytes, _spillDirectory), _aggregate);

    public void Dispose()
    {
    }

    private sealed class Aggregator(RobustRule rule, UpdateSpool spool, float[] aggregate) : IRoundAggregator
    {
        public void Add(string clientId, IUpdateSource delta, long exampleCount, WorkerMetrics? metrics)
        {
            using (delta as IDisposable)
            {
                spool.Add(delta, exampleCount);
            }
        }

        public AggregationOutcome Finish(ReadOnlySpan<float> model, Span<float> destination)
        {
            if (rule.MinimumUpdates(spool.Count) is { } reason)
            {
                return AggregationOutcome.Skip(reason);
            }

            rule.Aggregate(spool, aggregate);
            model.CopyTo(destination);
            System.Numerics.Tensors.TensorPrimitives.Add(destination, aggregate, destination);
            return AggregationOutcome.Done;
        }

        public void Dispose() => spool.Dispose();
    }
}
