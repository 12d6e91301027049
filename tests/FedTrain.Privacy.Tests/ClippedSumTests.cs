namespace FedTrain.Privacy.Tests;

/// <summary>
/// A coordinator node's clipped sum of the updates it received, added to the leading node's DP-FedAvg aggregator: the
/// round's release is the one the leader makes clipping every update itself, and the noise is drawn once.
/// </summary>
public sealed class ClippedSumTests
{
    private static float[][] Updates()
    {
        var random = new Random(5);
        // Norms around the clip norm: some are clipped, some not.
        return [.. Enumerable.Range(0, 6).Select(i => Enumerable.Range(0, 500).Select(_ => (float)((random.NextDouble() - 0.5) * 0.1 * (i + 1))).ToArray())];
    }

    [Fact]
    public void A_nodes_clipped_sum_added_at_the_leader_gives_the_release_of_clipping_every_update_there()
    {
        var updates = Updates();
        const double clip = 1.0;
        var everyUpdateHere = new DpFedAvgAggregator(500, clip, noiseMultiplier: 1.2, expectedCohortSize: 6, new RecordingNoiseSource(shift: 0.5));
        foreach (var update in updates)
        {
            everyUpdateHere.Add(update);
        }

        var spread = new DpFedAvgAggregator(500, clip, noiseMultiplier: 1.2, expectedCohortSize: 6, new RecordingNoiseSource(shift: 0.5));
        foreach (var update in updates.Take(2))
        {
            spread.Add(update);
        }

        var node = new ClippedSum(500, clip);
        foreach (var update in updates.Skip(2))
        {
            node.Add(update);
        }

        // Added in two ranges, as the leader reads the node's file.
        spread.AddPartialRange(0, node.Sum[..300]);
        spread.AddPartialRange(300, node.Sum[300..]);
        spread.CountPartial(node.Count, node.UnclippedCount);

        Assert.Equal(everyUpdateHere.Count, spread.Count);
        Assert.Equal(everyUpdateHere.UnclippedCount, spread.UnclippedCount);
        Assert.InRange(node.UnclippedCount, 0, node.Count - 1);
        var expected = new float[500];
        var actual = new float[500];
        Assert.Equal(everyUpdateHere.Finish(expected), spread.Finish(actual));
        for (int i = 0; i < 500; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-6f);
        }
    }

    [Fact]
    public void Refuses_a_non_finite_update_and_a_partial_range_past_the_model()
    {
        var node = new ClippedSum(3, 1.0);
        Assert.Throws<NonFiniteUpdateException>(() => node.Add([1f, float.NaN, 0f]));
        Assert.Equal(0, node.Count);
        Assert.Equal([0.0, 0.0, 0.0], node.Sum.ToArray());

        var leader = new DpFedAvgAggregator(3, 1.0, 1.0, 2, new RecordingNoiseSource());
        Assert.Throws<ArgumentException>(() => leader.AddPartialRange(2, [1.0, 1.0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => leader.CountPartial(1, 2));
    }
}
