namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// A round aggregator whose rule is a weighted sum, so that another node can sum the updates it received and hand over
/// that one sum instead of each update: FedAvg and the server optimizers (which act on the mean after the sum).
/// Rules that need every update (median, trimmed mean, Krum), q-FedAvg (per-client weights from losses the leader
/// holds) and DP-FedAvg (per-update clipping, and the clipped count for adaptive clipping) do not.
/// </summary>
public interface IPartialSumAggregator
{
    /// <summary>Adds Σ weight · update over <paramref name="count"/> updates; the aggregator disposes <paramref name="sum"/>.</summary>
    void AddPartial(Core.Aggregation.IUpdateSource sum, double totalWeight, int count);
}
