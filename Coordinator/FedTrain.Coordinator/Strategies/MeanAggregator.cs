using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Strategies;

namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// FedAvg's example-weighted mean of the deltas, folded as updates arrive (memory: one model-sized sum). The mean
/// is applied plainly (w + Δ̄) or through a server optimizer (FedAvgM, FedAdam, FedYogi, FedAdagrad).
/// </summary>
internal sealed class MeanAggregator(WeightedSum sum, float[] mean, IServerOptimizer? optimizer) : IRoundAggregator
{
    public void Add(string clientId, ReadOnlySpan<float> delta, long exampleCount, WorkerMetrics? metrics) =>
        sum.Add(delta, exampleCount);

    public AggregationOutcome Finish(ReadOnlySpan<float> model, Span<float> destination)
    {
        if (sum.Count == 0)
        {
            return AggregationOutcome.Skip("no update was accepted");
        }

        sum.WriteMean(mean);
        model.CopyTo(destination);
        if (optimizer is null)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(destination, mean, destination);
        }
        else
        {
            optimizer.Apply(destination, mean);
        }

        return AggregationOutcome.Done;
    }

    public void Dispose() => sum.Reset();
}
