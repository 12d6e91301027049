using FedTrain.Core.Robust;

namespace FedTrain.Aggregation.Tests;

public sealed class NormBoundingTests
{
    [Fact]
    public void Updates_above_the_bound_are_scaled_to_it_before_averaging()
    {
        // ‖[3, 4]‖ = 5 > 2 → [1.2, 1.6]; ‖[0.6, 0.8]‖ = 1 stays. Weights 1 and 3: ([1.2, 1.6] + 3·[0.6, 0.8]) / 4.
        var updates = new ArrayUpdateSet([[3, 4], [0.6f, 0.8f]], [1, 3]);
        var result = new float[2];
        var summary = NormBounding.Aggregate(updates, bound: 2, result);
        TestData.AssertClose([0.75, 1.0], result, 1e-6);
        Assert.Equal(1, summary.ClippedCount);
        Assert.Equal(5, summary.Norms[0], 1e-6);
        Assert.Equal(1, summary.Norms[1], 1e-6);

        NormBounding.Aggregate(updates, bound: 2, result, weighted: false);
        TestData.AssertClose([0.9, 1.2], result, 1e-6);
    }

    [Fact]
    public void Clip_scales_one_update_in_place_and_reports_its_norm()
    {
        float[] update = [3, 4];
        Assert.Equal(5, NormBounding.Clip(update, 2.5), 1e-9);
        TestData.AssertClose([1.5, 2], update, 1e-7);
        float[] small = [0.3f, 0.4f];
        NormBounding.Clip(small, 2.5);
        Assert.Equal([0.3f, 0.4f], small);
    }

    [Fact]
    public void A_large_bound_gives_the_plain_mean()
    {
        var data = TestData.Random(6, 500, seed: 5);
        var updates = new ArrayUpdateSet(data, [1, 2, 3, 4, 5, 6]);
        var bounded = new float[500];
        var mean = new float[500];
        Assert.Equal(0, NormBounding.Aggregate(updates, 1e9, bounded).ClippedCount);
        UpdateMean.Aggregate(updates, mean);
        TestData.AssertBitIdentical(mean, bounded);
    }

    [Fact]
    public void A_non_positive_bound_is_refused()
    {
        var updates = new ArrayUpdateSet([[1]]);
        Assert.Equal("bound", Assert.Throws<ArgumentOutOfRangeException>(() => NormBounding.Aggregate(updates, 0, new float[1])).ParamName);
        Assert.Equal("bound", Assert.Throws<ArgumentOutOfRangeException>(() => NormBounding.Clip(new float[1], double.PositiveInfinity)).ParamName);
    }
}
