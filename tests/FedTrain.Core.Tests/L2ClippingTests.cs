using FedTrain.Privacy;

namespace FedTrain.Core.Tests;

public sealed class L2ClippingTests
{
    [Fact]
    public void Clips_to_the_norm_and_leaves_small_updates_alone()
    {
        float[] update = [3, 4];
        Assert.Equal(5, L2Clipping.Clip(update, 1.0), 10);
        Assert.Equal(0.6f, update[0], 6);
        Assert.Equal(0.8f, update[1], 6);
        Assert.Equal(1.0, L2Clipping.Norm(update), 6);

        float[] small = [0.3f, 0.4f];
        Assert.Equal(0.5, L2Clipping.Clip(small, 1.0), 6);
        Assert.Equal([0.3f, 0.4f], small);
    }

    [Fact]
    public void Norm_of_a_large_vector_is_accurate()
    {
        var ones = Enumerable.Repeat(1f, 10_000_000).ToArray();
        Assert.Equal(Math.Sqrt(10_000_000), L2Clipping.Norm(ones), 6);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Refuses_bad_clip_norms(double clip)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => L2Clipping.Clip(new float[2], clip));
    }
}
