namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// An aggregator that can write the new model into a buffer of its own and give that buffer away, so the round needs
/// no separate destination: the coordinator then holds the current model, the sum that becomes the next one, and
/// nothing else model-sized.
/// </summary>
public interface IOwnedResultAggregator
{
    /// <summary>Like <see cref="IRoundAggregator.Finish"/>, but the new model comes back in <paramref name="result"/>, now the caller's.</summary>
    AggregationOutcome FinishOwned(ReadOnlySpan<float> model, out float[] result);
}
