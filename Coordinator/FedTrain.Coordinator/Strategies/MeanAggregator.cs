using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Strategies;

namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// FedAvg's example-weighted mean of the deltas, folded as updates arrive (memory: one model-sized sum). The mean
/// is applied plainly (w + Δ̄) or through a server optimizer (FedAvgM, FedAdam, FedYogi, FedAdagrad).
/// </summary>
/// <remarks>
/// Verified updates are folded in batches of <see cref="FoldBatch"/>, range-major, so the sum crosses the memory bus
/// once per batch instead of once per update; until then they wait in their spool files (page cache, not this
/// process's memory). The last batch is folded in the same pass that writes the new model, so the sum is not written
/// out and read back at the end of the round. The result is the same, bit for bit, as folding each on arrival.
/// </remarks>
internal sealed class MeanAggregator(WeightedSum sum, IServerOptimizer? optimizer) : IRoundAggregator, IOwnedResultAggregator, IPartialSumAggregator
{
    /// <summary>Updates folded together: the sum's share of the memory traffic is 2 / (batch + 2).</summary>
    internal const int FoldBatch = 16;

    private readonly List<(IUpdateSource Update, double Weight)> _pending = [];

    public void Add(string clientId, IUpdateSource delta, long exampleCount, WorkerMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (delta.Length != sum.Length || exampleCount <= 0)
        {
            throw new ArgumentException($"Update of client {clientId} has {delta.Length} parameters and weight {exampleCount}; the model has {sum.Length}.", nameof(delta));
        }

        _pending.Add((delta, exampleCount));
        if (_pending.Count >= FoldBatch)
        {
            FoldPending();
        }
    }

    public void AddPartial(IUpdateSource partial, double totalWeight, int count)
    {
        ArgumentNullException.ThrowIfNull(partial);
        using (partial as IDisposable)
        {
            if (partial.Length != sum.Length)
            {
                throw new ArgumentException($"A partial sum has {partial.Length} parameters; the model has {sum.Length}.", nameof(partial));
            }

            // The updates received here so far first, so that the partial is added to the sum as it stands.
            FoldPending();
            sum.AddPartial(partial, totalWeight, count);
        }
    }

    public AggregationOutcome Finish(ReadOnlySpan<float> model, Span<float> destination)
    {
        if (sum.Count + _pending.Count == 0)
        {
            return AggregationOutcome.Skip("no update was accepted");
        }

        // No mean buffer: plain FedAvg folds the last batch and writes w + Σ/W in the same pass over each range; an
        // optimizer gets the mean made in the sum's place.
        if (optimizer is null)
        {
            sum.AddBatchAndApplyMean(_pending, model, destination);
            Release();
        }
        else
        {
            FoldPending();
            model.CopyTo(destination);
            optimizer.Apply(destination, sum.MeanInPlace());
        }

        return AggregationOutcome.Done;
    }

    public AggregationOutcome FinishOwned(ReadOnlySpan<float> model, out float[] result)
    {
        if (sum.Count + _pending.Count > 0 && optimizer is null)
        {
            sum.AddBatchAndApplyMeanInPlace(_pending, model);
            Release();
            result = sum.Detach();
            return AggregationOutcome.Done;
        }

        result = new float[model.Length];
        return Finish(model, result);
    }

    public void Dispose()
    {
        Release();
        sum.Reset();
    }

    private void FoldPending()
    {
        if (_pending.Count > 0)
        {
            sum.AddBatch(_pending);
            Release();
        }
    }

    private void Release()
    {
        foreach (var (update, _) in _pending)
        {
            (update as IDisposable)?.Dispose();
        }

        _pending.Clear();
    }
}
