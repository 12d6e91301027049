using FedTrain.Core.Aggregation;

namespace FedTrain.Core.Tests;

public sealed class AggregationTests
{
    [Fact]
    public void FedAvg_weights_deltas_by_example_count()
    {
        float[] model = [1, 1, 1];
        FedAvg.Apply(model, [([3, 0, -3], 1), ([0, 6, 3], 2)]);
        // Mean delta = (1·[3,0,-3] + 2·[0,6,3]) / 3 = [1, 4, 1].
        Assert.Equal([2, 5, 2], model);
    }

    [Fact]
    public void Identical_updates_average_to_themselves()
    {
        var delta = Enumerable.Range(0, 1000).Select(i => (float)Math.Sin(i)).ToArray();
        var sum = new WeightedSum(delta.Length);
        foreach (int weight in new[] { 5, 17, 300 })
        {
            sum.Add(delta, weight);
        }

        var mean = new float[delta.Length];
        sum.WriteMean(mean);
        for (int i = 0; i < delta.Length; i++)
        {
            Assert.Equal(delta[i], mean[i], 1e-6);
        }
    }

    [Fact]
    public void Streaming_sum_matches_the_float64_batch_formula()
    {
        var rng = new Random(1);
        const int length = 3_000_000; // above the parallel threshold
        var updates = Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.02f).ToArray()).ToArray();
        long[] weights = [1200, 800, 3000, 15, 999, 2500];
        var sum = new WeightedSum(length);
        for (int k = 0; k < updates.Length; k++)
        {
            sum.Add(updates[k], weights[k]);
        }

        var mean = new float[length];
        sum.WriteMean(mean);
        double total = weights.Sum();
        double maxError = 0;
        for (int i = 0; i < length; i += 997)
        {
            double expected = 0;
            for (int k = 0; k < updates.Length; k++)
            {
                expected += weights[k] * (double)updates[k][i];
            }

            maxError = Math.Max(maxError, Math.Abs(expected / total - mean[i]));
        }

        // float32 accumulation of O(1e-2) deltas: absolute error far below the deltas' own resolution.
        Assert.True(maxError < 1e-8, $"max error {maxError}");
    }

    [Fact]
    public void Order_of_updates_does_not_change_the_mean_beyond_rounding()
    {
        float[][] updates = [[1, 2, 3], [4, 5, 6], [-7, 8, 0.5f]];
        long[] weights = [3, 1, 2];
        var forward = new WeightedSum(3);
        var backward = new WeightedSum(3);
        for (int k = 0; k < 3; k++)
        {
            forward.Add(updates[k], weights[k]);
            backward.Add(updates[2 - k], weights[2 - k]);
        }

        var a = new float[3];
        var b = new float[3];
        forward.WriteMean(a);
        backward.WriteMean(b);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(a[i], b[i], 1e-5);
        }
    }

    [Fact]
    public void Reset_starts_a_new_round()
    {
        var sum = new WeightedSum(2);
        sum.Add([10, 10], 1);
        sum.Reset();
        sum.Add([1, 2], 4);
        var mean = new float[2];
        sum.WriteMean(mean);
        Assert.Equal([1, 2], mean);
        Assert.Equal(1, sum.Count);
        Assert.Equal(4, sum.TotalWeight);
    }

    [Fact]
    public void Bad_inputs_are_refused()
    {
        var sum = new WeightedSum(3);
        Assert.Throws<ArgumentException>(() => sum.Add([1, 2], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => sum.Add([1, 2, 3], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => sum.Add([1, 2, 3], double.NaN));
        Assert.Throws<InvalidOperationException>(() => sum.WriteMean(new float[3]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(1000)]
    [InlineData(1023)]
    public void Non_finite_values_are_found_wherever_they_are(int position)
    {
        var values = new float[1024];
        Assert.Equal(-1, UpdateChecks.IndexOfNonFinite(values));
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            values[position] = bad;
            Assert.Equal(position, UpdateChecks.IndexOfNonFinite(values));
            values[position] = 0;
        }
    }
}
