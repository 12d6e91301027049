using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Aggregation;

namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// One round's aggregation: validated client updates go in one at a time (serialised by the round), the new
/// global model comes out. Linear rules fold each update into a running sum; robust rules keep them all.
/// </summary>
public interface IRoundAggregator : IDisposable
{
    /// <param name="clientId">Whose update it is.</param>
    /// <param name="delta">
    /// local − global, already checked for shape and finiteness, read range by range. The aggregator owns it from
    /// this call on (even if the call throws): it may keep it until <see cref="Finish"/> and disposes it when done.
    /// </param>
    /// <param name="exampleCount">The client's training examples (FedAvg's weight).</param>
    /// <param name="metrics">What the client's worker reported before uploading, if anything.</param>
    void Add(string clientId, IUpdateSource delta, long exampleCount, WorkerMetrics? metrics);

    /// <summary>Writes the new global model into <paramref name="destination"/>, or says why the model stays as it is.</summary>
    AggregationOutcome Finish(ReadOnlySpan<float> model, Span<float> destination);
}
