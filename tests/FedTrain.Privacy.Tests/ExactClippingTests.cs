using System.Numerics;

namespace FedTrain.Privacy.Tests;

/// <summary>
/// Clipping must never under-estimate a norm: the sensitivity of DP-FedAvg is C only if no clipped contribution
/// exceeds C. Adversarial vectors: tiny elements beside a large one (lost by float32 partial sums), huge finite
/// elements (whose float32 squares overflow), and non-finite ones (refused, not clipped).
/// </summary>
public sealed class ExactClippingTests
{
    /// <summary>One 1.0 and many elements whose float32 squares vanish next to it: the true norm is 1 + n·t²/2 larger.</summary>
    private static float[] TinyBesideLarge(int n = 1 << 20, float tiny = 2e-4f)
    {
        var update = new float[n + 1];
        update[0] = 1f;
        Array.Fill(update, tiny, 1, n);
        return update;
    }

    /// <summary>The exact squared norm, in 128-bit integer arithmetic on the floats' exact binary values (scaled by 2^k).</summary>
    private static double ExactNorm(ReadOnlySpan<float> values)
    {
        // Each float is m·2^e with a 24-bit m; squares are m²·2^(2e). Summed exactly as BigInteger at the smallest exponent.
        int minExponent = int.MaxValue;
        foreach (float v in values)
        {
            if (v != 0)
            {
                minExponent = Math.Min(minExponent, Exponent(v));
            }
        }

        BigInteger sum = BigInteger.Zero;
        foreach (float v in values)
        {
            if (v != 0)
            {
                BigInteger mantissa = Mantissa(v);
                sum += mantissa * mantissa << (2 * (Exponent(v) - minExponent));
            }
        }

        return Math.Sqrt(Math.Exp(BigInteger.Log(sum) + (2 * minExponent * Math.Log(2))));
    }

    private static int Exponent(float v)
    {
        int bits = BitConverter.SingleToInt32Bits(Math.Abs(v));
        int biased = bits >> 23;
        return (biased == 0 ? 1 : biased) - 127 - 23;
    }

    private static long Mantissa(float v)
    {
        int bits = BitConverter.SingleToInt32Bits(Math.Abs(v));
        return (bits & 0x7FFFFF) | ((bits >> 23) == 0 ? 0 : 0x800000);
    }

    [Fact]
    public void The_norm_of_tiny_elements_beside_a_large_one_is_exact_to_1e12()
    {
        var update = TinyBesideLarge();
        double exact = ExactNorm(update);
        Assert.True(exact > 1.00002, "the construction must matter");
        Assert.True(Math.Abs(L2Clipping.Norm(update) - exact) <= 1e-12 * exact, $"{L2Clipping.Norm(update):R} vs {exact:R}");
    }

    [Fact]
    public void A_clipped_update_never_exceeds_the_clip_norm()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            var update = new float[1 + random.Next(50_000)];
            for (int i = 0; i < update.Length; i++)
            {
                update[i] = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 6)));
            }

            double clip = 1e-3 + random.NextDouble();
            L2Clipping.Clip(update, clip);
            Assert.True(ExactNorm(update) <= clip * (1 + 1e-12), $"trial {trial}: {ExactNorm(update):R} > {clip:R}");
        }
    }

    [Fact]
    public void The_dp_sum_of_an_adversarial_update_stays_within_the_clip_norm()
    {
        // C between the float32 blockwise estimate of the norm and the true norm: an under-estimate would add the
        // update unclipped, with a norm above C.
        var update = TinyBesideLarge();
        double clip = 1.00001;
        Assert.True(ExactNorm(update) > clip);
        var aggregator = new DpFedAvgAggregator(update.Length, clip, 1, 1, new RecordingNoiseSource());
        Assert.False(aggregator.Add(update), "the update is above C and must count as clipped");
        var mean = new float[update.Length];
        aggregator.Finish(mean);
        // With zero noise and m = 1 the released mean is the clipped contribution itself (rounded to float32 at the end).
        Assert.True(L2Clipping.Norm(mean) <= clip * (1 + 1e-6), $"{L2Clipping.Norm(mean):R}");
    }

    [Fact]
    public void Huge_finite_elements_are_clipped_not_refused()
    {
        float[] update = [3e38f, -2e25f, 1e20f, 1f];
        double exact = ExactNorm(update);
        Assert.Equal(exact, L2Clipping.Norm(update), exact * 1e-12);
        var aggregator = new DpFedAvgAggregator(update.Length, 1.0, 1, 1, new RecordingNoiseSource());
        Assert.False(aggregator.Add(update));
        var mean = new float[update.Length];
        aggregator.Finish(mean);
        Assert.Equal(1.0, L2Clipping.Norm(mean), 1e-6);

        var copy = (float[])update.Clone();
        Assert.Equal(exact, L2Clipping.Clip(copy, 2.0), exact * 1e-12);
        Assert.True(ExactNorm(copy) <= 2.0 * (1 + 1e-12));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Non_finite_elements_are_refused_with_their_index_and_nothing_is_added(float bad)
    {
        float[] update = [0.5f, 0.25f, bad, 1f];
        var aggregator = new DpFedAvgAggregator(update.Length, 1.0, 1, 1, new RecordingNoiseSource());
        var refused = Assert.Throws<NonFiniteUpdateException>(() => aggregator.Add(update));
        Assert.Equal(2, refused.Index);
        Assert.Equal(0, aggregator.Count);
        var copy = (float[])update.Clone();
        Assert.Throws<NonFiniteUpdateException>(() => L2Clipping.Clip(copy, 1));
        Assert.Equal(update, copy);
    }
}
