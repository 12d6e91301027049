using FedTrain.Core.Compression;

namespace FedTrain.Core.Tests;

public sealed class EncodedUpdateChecksTests
{
    [Fact]
    public void Every_float16_nan_and_infinity_is_found_at_its_index()
    {
        var values = Enumerable.Range(0, 100).Select(i => (Half)(i * 0.5f)).ToArray();
        values[99] = Half.MaxValue; // finite, largest
        Assert.Equal(-1, EncodedUpdateChecks.IndexOfNonFinite(values));
        foreach (var bad in new[] { Half.NaN, Half.PositiveInfinity, Half.NegativeInfinity })
        {
            // Every position within and across vector widths, including the scalar tail.
            foreach (int position in new[] { 0, 7, 15, 16, 31, 63, 64, 97, 99 })
            {
                var copy = (Half[])values.Clone();
                copy[position] = bad;
                Assert.Equal(position, EncodedUpdateChecks.IndexOfNonFinite(copy));
            }
        }
    }

    [Fact]
    public void Int8_scales_that_would_decode_to_non_finite_values_are_found()
    {
        float[] scales = [0f, 1e-8f, 3f, EncodedUpdateChecks.MaxInt8Scale];
        Assert.Equal(-1, EncodedUpdateChecks.IndexOfUnusableScale(scales));
        Assert.True(float.IsFinite(-128 * EncodedUpdateChecks.MaxInt8Scale));
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, -float.MaxValue / 100 })
        {
            float[] copy = [.. scales, bad];
            Assert.Equal(4, EncodedUpdateChecks.IndexOfUnusableScale(copy));
        }
    }
}
