namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// A round aggregator that releases its result with differential-privacy noise. The round loop reads
/// <see cref="PlannedRelease"/> before <see cref="IRoundAggregator.Finish"/> draws the noise, to record the release in
/// the ledger first.
/// </summary>
public interface IPrivateRoundAggregator : IRoundAggregator
{
    /// <summary>The noise multiplier and clip norm that <see cref="IRoundAggregator.Finish"/> will release with.</summary>
    PlannedRelease PlannedRelease { get; }
}
