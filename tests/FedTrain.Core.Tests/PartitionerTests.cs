using FedTrain.Core.Data;

namespace FedTrain.Core.Tests;

public sealed class PartitionerTests
{
    private static long[] Labels(int perClass, int classes) =>
        Enumerable.Range(0, perClass * classes).Select(i => (long)(i % classes)).ToArray();

    [Theory]
    [InlineData("iid")]
    [InlineData("dirichlet:0.5")]
    [InlineData("dirichlet:0.1")]
    public void Every_index_lands_in_exactly_one_shard(string scheme)
    {
        var labels = Labels(500, 10);
        var shards = Partitioner.Partition(labels, 10, 7, PartitionScheme.Parse(scheme), seed: 3);
        Assert.Equal(7, shards.Length);
        var all = shards.SelectMany(s => s).OrderBy(i => i).ToArray();
        Assert.Equal(Enumerable.Range(0, labels.Length), all);
        Assert.All(shards, s => Assert.True(s.Length >= 10));
    }

    [Fact]
    public void Same_seed_same_shards_and_other_seed_other_shards()
    {
        var labels = Labels(200, 10);
        var scheme = PartitionScheme.Parse("dirichlet:0.5");
        var a = Partitioner.Partition(labels, 10, 4, scheme, seed: 11);
        var b = Partitioner.Partition(labels, 10, 4, scheme, seed: 11);
        var c = Partitioner.Partition(labels, 10, 4, scheme, seed: 12);
        Assert.Equal(a, b);
        Assert.NotEqual(a.Select(s => s.Length), c.Select(s => s.Length));
    }

    [Fact]
    public void Iid_shards_are_balanced_in_size_and_labels()
    {
        var labels = Labels(1000, 10);
        var shards = Partitioner.Partition(labels, 10, 4, PartitionScheme.Iid, seed: 1);
        Assert.All(shards, s => Assert.Equal(2500, s.Length));
        foreach (var shard in shards)
        {
            var histogram = shard.GroupBy(i => labels[i]).Select(g => g.Count()).ToArray();
            Assert.All(histogram, count => Assert.InRange(count, 180, 320));
        }
    }

    [Fact]
    public void Small_alpha_skews_labels_more_than_large_alpha()
    {
        var labels = Labels(1000, 10);
        double Skew(double alpha)
        {
            var shards = Partitioner.Partition(labels, 10, 5, new PartitionScheme(alpha), seed: 5);
            // Mean over shards of the largest class share: 0.1 for perfectly balanced shards, 1.0 for single-class shards.
            return shards.Average(s => s.GroupBy(i => labels[i]).Max(g => g.Count()) / (double)s.Length);
        }

        Assert.True(Skew(0.1) > Skew(100) + 0.2, $"alpha 0.1 skew {Skew(0.1)}, alpha 100 skew {Skew(100)}");
        Assert.InRange(Skew(100), 0.1, 0.2);
    }

    [Fact]
    public void Holdout_split_is_disjoint_and_sized()
    {
        var shard = Enumerable.Range(100, 200).ToArray();
        var (train, holdout) = Partitioner.SplitHoldout(shard, 0.1, seed: 9);
        Assert.Equal(180, train.Length);
        Assert.Equal(20, holdout.Length);
        Assert.Empty(train.Intersect(holdout));
        Assert.Equal(shard, train.Concat(holdout).OrderBy(i => i));
    }

    [Theory]
    [InlineData("dirichlet:0")]
    [InlineData("dirichlet:-1")]
    [InlineData("dirichlet:NaN")]
    [InlineData("dirichlet:")]
    [InlineData("shards")]
    public void Bad_schemes_are_refused(string text)
    {
        Assert.Throws<FormatException>(() => PartitionScheme.Parse(text));
    }

    [Fact]
    public void Gamma_sampler_has_the_right_mean_and_variance()
    {
        var rng = new SplitMix64(7);
        foreach (double shape in new[] { 0.3, 1.0, 4.0 })
        {
            var samples = Enumerable.Range(0, 100_000).Select(_ => rng.NextGamma(shape)).ToArray();
            double mean = samples.Average();
            double variance = samples.Select(x => (x - mean) * (x - mean)).Average();
            Assert.InRange(mean, shape * 0.97, shape * 1.03);
            Assert.InRange(variance, shape * 0.93, shape * 1.07);
        }
    }
}
