using FedTrain.Core.Robust;

namespace FedTrain.Aggregation.Tests;

public sealed class KrumTests
{
    // Squared distances: d01 = 1, d02 = 1, d03 = 5, d04 = 200, d12 = 2, d13 = 4, d14 = 181, d23 = 2, d24 = 181, d34 = 145.
    // With f = 1 each score sums the n − f − 2 = 2 smallest: u0 = 1 + 1, u1 = 1 + 2, u2 = 1 + 2, u3 = 2 + 4, u4 = 145 + 181.
    private static readonly float[][] Five = [[0, 0], [1, 0], [0, 1], [1, 2], [10, 10]];

    [Fact]
    public void Scores_match_hand_computation()
    {
        var selection = Krum.Select(new ArrayUpdateSet(Five), byzantineCount: 1);
        Assert.Equal([2.0, 3.0, 3.0, 6.0, 326.0], selection.Scores);
        Assert.Equal([0], selection.Selected);
    }

    [Fact]
    public void Krum_returns_the_most_central_update()
    {
        var result = new float[2];
        var selection = Krum.Aggregate(new ArrayUpdateSet(Five), 1, result);
        Assert.Equal(Five[0], result);
        Assert.Equal(0, selection.Selected[0]);
    }

    [Fact]
    public void Multi_krum_averages_the_best_m_weighted_or_not()
    {
        // Best three: 0, then 1 and 2 (tied at 3, lower index first). Weights [1, 1, 2, 1, 1].
        var updates = new ArrayUpdateSet(Five, [1, 1, 2, 1, 1]);
        var weighted = new float[2];
        var selection = Krum.AggregateMulti(updates, 1, 3, weighted);
        Assert.Equal([0, 1, 2], selection.Selected);
        TestData.AssertClose([0.25, 0.5], weighted, 1e-7);

        var unweighted = new float[2];
        Krum.AggregateMulti(updates, 1, 3, unweighted, weighted: false);
        TestData.AssertClose([1.0 / 3, 1.0 / 3], unweighted, 1e-7);
    }

    [Fact]
    public void A_clear_outlier_is_never_chosen()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 20; trial++)
        {
            var data = TestData.Random(9, 50, seed: trial, scale: 0.1f);
            int outlier = rng.Next(9);
            for (int i = 0; i < 50; i++)
            {
                data[outlier][i] += 5;
            }

            var selection = Krum.Select(new ArrayUpdateSet(data), byzantineCount: 2, selectCount: 7);
            Assert.DoesNotContain(outlier, selection.Selected);
            Assert.Equal(selection.Scores.Max(), selection.Scores[outlier]);
        }
    }

    [Fact]
    public void Too_few_updates_for_f_are_refused_naming_f()
    {
        var four = new ArrayUpdateSet([[0], [1], [2], [3]]);
        var e = Assert.Throws<ArgumentException>(() => Krum.Select(four, byzantineCount: 1));
        Assert.Equal("byzantineCount", e.ParamName);
        Assert.Contains("f = 1", e.Message, StringComparison.Ordinal);
        Assert.Equal("selectCount", Assert.Throws<ArgumentOutOfRangeException>(() => Krum.Select(new ArrayUpdateSet(Five), 1, selectCount: 6)).ParamName);
        Assert.Equal("byzantineCount", Assert.Throws<ArgumentOutOfRangeException>(() => Krum.Select(new ArrayUpdateSet(Five), -1)).ParamName);
    }
}
