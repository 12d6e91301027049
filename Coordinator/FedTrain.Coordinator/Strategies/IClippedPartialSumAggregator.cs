namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// DP-FedAvg's round aggregator as another node's partial sum reaches it: that node clipped the updates it received to
/// this round's clip norm and summed them (<see cref="Privacy.ClippedSum"/>, float64, unnoised); the aggregator adds
/// the sum and its counts, and draws the round's noise once, over everything, when it finishes.
/// </summary>
public interface IClippedPartialSumAggregator
{
    /// <summary>The round's clip norm C, which the other nodes clip to.</summary>
    double ClipNorm { get; }

    /// <summary>
    /// Adds the clipped sum in <paramref name="path"/> (float64, little-endian, one value per parameter) of
    /// <paramref name="count"/> updates, <paramref name="unclipped"/> of them left unclipped.
    /// </summary>
    void AddClippedPartial(string path, int count, int unclipped);
}
