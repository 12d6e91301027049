namespace FedTrain.Privacy.Tests;

public sealed class AdaptiveClippingTests
{
    // google-parfait/tensorflow-federated tensorflow_federated/python/aggregators/privacy/quantile_test.py
    // @8cce210e80a7efdb047643f084ef783e8b4503ec, QuantileEstimatorQueryTest.test_target_zero_geometric ('fixed': expected
    // number of records 2, no noise): records 5.0 and 2.5, C₀ = 16, γ = 0, η = ln 2.
    [Fact]
    public void Reproduces_tff_target_zero_geometric()
    {
        var clipping = new AdaptiveClipping(expectedCohortSize: 2, initialClipNorm: 16, targetUnclippedQuantile: 0, learningRate: Math.Log(2), countStandardDeviation: 0);
        double[] expected = [8.0, 4.0, 4 / Math.Sqrt(2), 2.0, 2.0];
        foreach (double clip in expected)
        {
            int unclipped = new[] { 5.0, 2.5 }.Count(r => r <= clipping.ClipNorm);
            clipping.Update(unclipped, 2, new RecordingNoiseSource());
            Assert.Equal(clip, clipping.ClipNorm, 12);
        }
    }

    // Same file, QuantileEstimatorQueryTest.test_target_one_geometric: records 1.5 and 3.0, C₀ = 0.5, γ = 1, η = ln 2.
    [Fact]
    public void Reproduces_tff_target_one_geometric()
    {
        var clipping = new AdaptiveClipping(2, initialClipNorm: 0.5, targetUnclippedQuantile: 1, learningRate: Math.Log(2), countStandardDeviation: 0);
        double[] expected = [1.0, 2.0, 2 * Math.Sqrt(2), 4.0, 4.0];
        foreach (double clip in expected)
        {
            int unclipped = new[] { 1.5, 3.0 }.Count(r => r <= clipping.ClipNorm);
            clipping.Update(unclipped, 2, new RecordingNoiseSource());
            Assert.Equal(clip, clipping.ClipNorm, 12);
        }
    }

    // Same file, QuantileAdaptiveClipSumQueryTest.test_adaptation_target_zero_geometric and _target_one_geometric: the clipped
    // sums each round use the clip of that round. TFF runs them with z = 0 and σ_b = 0, which we refuse (z must be > 0
    // and < 2σ_b); a huge σ_b with a zero-noise source gives the same arithmetic. The mean is the sum over m = 2.
    [Theory]
    [InlineData(16.0, 0.0, 5.0, -2.5)]
    [InlineData(0.5, 1.0, -1.5, 3.0)]
    public void Reproduces_tff_adaptive_clip_sum_sequences(double initialClip, double target, double record1, double record2)
    {
        double[] expectedSums = target == 0
            ? [2.5, 2.5, 1.5, (4 / Math.Sqrt(2)) - 2.5, 0.0]
            : [0.0, 0.0, 0.5, (2 * Math.Sqrt(2)) - 1.5, 1.5];
        double[] expectedClips = target == 0
            ? [8.0, 4.0, 4 / Math.Sqrt(2), 2.0, 2.0]
            : [1.0, 2.0, 2 * Math.Sqrt(2), 4.0, 4.0];

        var clipping = new AdaptiveClipping(2, initialClip, target, Math.Log(2), countStandardDeviation: 1e6);
        var aggregator = new DpFedAvgAggregator(1, clipping, noiseMultiplier: 1.0, new RecordingNoiseSource());
        var mean = new float[1];
        for (int round = 0; round < 5; round++)
        {
            aggregator.Add([(float)record1]);
            aggregator.Add([(float)record2]);
            var release = aggregator.Finish(mean);
            Assert.Equal(expectedSums[round], mean[0] * 2, 5);
            Assert.Equal(expectedClips[round], release.NextClipNorm, 6);
            Assert.Equal(expectedClips[round], aggregator.ClipNorm, 6);
        }
    }

    [Fact]
    public void Value_noise_uses_the_clip_of_the_round_it_clipped_with()
    {
        var noise = new RecordingNoiseSource();
        var clipping = new AdaptiveClipping(expectedCohortSize: 100, initialClipNorm: 1.0, targetUnclippedQuantile: 0.5, learningRate: 0.2);
        var aggregator = new DpFedAvgAggregator(4, clipping, noiseMultiplier: 1.0, noise);

        // Every update small: b̄ = 1 > γ, so the clip shrinks by e^{−0.2·0.5} after the round.
        for (int i = 0; i < 100; i++)
        {
            aggregator.Add([0.01f, 0f, 0f, 0f]);
        }

        var release = aggregator.Finish(new float[4]);
        double zDelta = 1 / Math.Sqrt(1 - (1 / 100.0)); // σ_b = m/20 = 5, z = 1 → z_Δ = 1.005038
        Assert.Equal(zDelta * 1.0, noise.Requested[0], 12);   // value noise: z_Δ·C_old
        Assert.Equal(5.0, noise.Requested[1], 12);             // count noise: σ_b
        Assert.Equal(1.0, release.ClipNorm);
        Assert.Equal(Math.Exp(-0.1), release.NextClipNorm, 12);
        Assert.Equal(1.0, release.NoisyUnclippedFraction);
        Assert.Equal(1.0, release.NoiseMultiplier);
        Assert.Equal(zDelta, release.ValueNoiseMultiplier, 12);
    }

    // Worked examples of the split as TFF adaptive_clip_noise_params and Flower compute_adaptive_noise_params compute it, σ_b = m/20,
    // computed by hand: (1 − 1/100)^(−1/2) and (1/1.44 − 1/144)^(−1/2).
    [Theory]
    [InlineData(1.0, 100, 1.005038)]
    [InlineData(1.2, 120, 1.206045)]
    public void Splits_the_noise_multiplier_so_the_total_stays_z(double z, double m, double expected)
    {
        double zDelta = AdaptiveClipping.ValueNoiseMultiplierFor(z, m / 20);
        Assert.Equal(expected, zDelta, 6);

        // The composed Gaussian (z_Δ⁻² + (2σ_b)⁻²)^(−1/2) is z again.
        Assert.Equal(z, 1 / Math.Sqrt((1 / (zDelta * zDelta)) + (1 / Math.Pow(2 * m / 20, 2))), 12);
    }

    [Fact]
    public void Refuses_a_count_noise_that_would_eat_the_whole_budget()
    {
        Assert.Equal("noiseMultiplier", Assert.ThrowsAny<ArgumentException>(() => AdaptiveClipping.ValueNoiseMultiplierFor(10, 5)).ParamName);
        Assert.Equal("noiseMultiplier", Assert.ThrowsAny<ArgumentException>(() => AdaptiveClipping.ValueNoiseMultiplierFor(1, 0)).ParamName);
        Assert.True(AdaptiveClipping.ValueNoiseMultiplierFor(9.99, 5) > 9.99);

        // m = 10 → σ_b = 0.5 → z must stay below 1.
        var small = new AdaptiveClipping(10);
        Assert.ThrowsAny<ArgumentException>(() => new DpFedAvgAggregator(2, small, 1.0));
    }

    [Fact]
    public void Noisy_fraction_is_clamped_to_zero_one()
    {
        var clipping = new AdaptiveClipping(10, initialClipNorm: 1, targetUnclippedQuantile: 0.5, learningRate: 0.2, countStandardDeviation: 1);
        Assert.Equal(1.0, clipping.Update(3, 6, new RecordingNoiseSource(shift: 1000)));
        Assert.Equal(Math.Exp(-0.1), clipping.ClipNorm, 12);
        Assert.Equal(0.0, clipping.Update(3, 6, new RecordingNoiseSource(shift: -1000)));
        Assert.Equal(1.0, clipping.ClipNorm, 12);
    }

    [Fact]
    public void Defaults_are_tffs()
    {
        var clipping = new AdaptiveClipping(200);
        Assert.Equal(0.1, clipping.ClipNorm);
        Assert.Equal(0.5, clipping.TargetUnclippedQuantile);
        Assert.Equal(0.2, clipping.LearningRate);
        Assert.Equal(10.0, clipping.CountStandardDeviation);
    }

    [Fact]
    public void Refuses_bad_parameters_naming_them()
    {
        Assert.Equal("expectedCohortSize", Assert.ThrowsAny<ArgumentException>(() => new AdaptiveClipping(0)).ParamName);
        Assert.Equal("initialClipNorm", Assert.ThrowsAny<ArgumentException>(() => new AdaptiveClipping(10, initialClipNorm: 0)).ParamName);
        Assert.Equal("targetUnclippedQuantile", Assert.ThrowsAny<ArgumentException>(() => new AdaptiveClipping(10, targetUnclippedQuantile: 1.5)).ParamName);
        Assert.Equal("learningRate", Assert.ThrowsAny<ArgumentException>(() => new AdaptiveClipping(10, learningRate: -1)).ParamName);
        Assert.Equal("countStandardDeviation", Assert.ThrowsAny<ArgumentException>(() => new AdaptiveClipping(10, countStandardDeviation: double.NaN)).ParamName);
    }
}
