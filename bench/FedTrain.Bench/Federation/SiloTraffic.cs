namespace FedTrain.Bench.Federation;

/// <summary>
/// What one cluster of <see cref="Silos"/> coordinator nodes did over its steady rounds (every round after the first,
/// which also pays start-up), each count an average per round.
/// </summary>
/// <param name="Silos">Coordinator nodes in the cluster.</param>
/// <param name="SteadyRounds">Rounds averaged over.</param>
/// <param name="RoundsPerMinute">Steady rounds over the time between the first and the last round's commit in the database.</param>
/// <param name="PartialSums">Partial sums the leading node folded (each a model-sized file another node wrote).</param>
/// <param name="FallbackUpdates">Updates the leading node read from another node's share of the spool, that node's sum being unavailable.</param>
/// <param name="UpdatesElsewhere">Updates the other nodes received: what the leading node would read across without per-node sums.</param>
/// <param name="ModelBytes">Bytes of the model as float32, which is also the size of a partial sum and of an uncompressed update.</param>
internal sealed record SiloTraffic(
    int Silos, int SteadyRounds, double RoundsPerMinute, double PartialSums, double FallbackUpdates, double UpdatesElsewhere, long ModelBytes)
{
    /// <summary>Bytes per round that cross from the other nodes to the leading one: the sums it folded and the updates it read itself.</summary>
    public double CrossingBytes => (PartialSums + FallbackUpdates) * ModelBytes;

    /// <summary>Bytes per round that would cross if the leading node read every update the other nodes received.</summary>
    public double UnsummedBytes => UpdatesElsewhere * ModelBytes;
}
