using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Strategies;

namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// q-FedAvg (q-FFL, Li et al. 2020): clients with a higher loss of the global model get more weight, trading a
/// little average accuracy for the worst-served clients. Workers report each client's global-model loss.
/// </summary>
/// <remarks>
/// Clients are selected uniformly, so weighing each by its example count optimises the paper's objective with
/// pₖ = nₖ/n (which it samples by instead), and q = 0 is FedAvg. Flower weighs the selected clients equally, the
/// objective with pₖ = 1/K; <c>example_weights=0</c> gives that.
/// </remarks>
internal sealed class QFedAvgStrategy(string description, QFedAvg kernel, int length, bool exampleWeights) : IAggregationStrategy
{
    // q-FedAvg weighs each update by its norm, so it reads the whole update; one buffer, reused every round.
    private readonly float[] _update = new float[length];

    public string Description { get; } = description;

    public double ProximalMu => 0;

    public bool NeedsGlobalLoss => true;

    public IRoundAggregator Begin(long round, int selectedClients, int population)
    {
        kernel.Reset();
        return new Aggregator(kernel, _update, exampleWeights);
    }

    public void Dispose()
    {
    }

    private sealed class Aggregator(QFedAvg kernel, float[] update, bool exampleWeights) : IRoundAggregator
    {
        public void Add(string clientId, IUpdateSource delta, long exampleCount, WorkerMetrics? metrics)
        {
            using var owned = delta as IDisposable;
            if (metrics?.GlobalLoss is not { } loss)
            {
                throw new UpdateRejectedException(
                    RejectionKind.Malformed, $"q-FedAvg needs client {clientId}'s global-model loss; report metrics before uploading.");
            }

            delta.ReadRange(0, update);
            kernel.Add(update, loss, exampleWeights ? exampleCount : 1);
        }

        public AggregationOutcome Finish(ReadOnlySpan<float> model, Span<float> destination)
        {
            if (kernel.Count == 0)
            {
                return AggregationOutcome.Skip("no update was accepted");
            }

            model.CopyTo(destination);
            kernel.Apply(destination);
            return AggregationOutcome.Done;
        }

        public void Dispose() => kernel.Reset();
    }
}
