namespace FedTrain.Privacy.Tests;

public sealed class DpFedAvgAggregatorTests
{
    [Fact]
    public void Clips_sums_and_divides_by_the_expected_cohort_size()
    {
        var noise = new RecordingNoiseSource();
        var aggregator = new DpFedAvgAggregator(dimension: 2, clipNorm: 1.0, noiseMultiplier: 1.5, expectedCohortSize: 4, noise);

        Assert.False(aggregator.Add([3f, 4f]));    // ‖·‖ = 5 → (0.6, 0.8)
        Assert.True(aggregator.Add([0.3f, 0.4f])); // ‖·‖ = 0.5, kept
        Assert.True(aggregator.Add([0f, 1f]));     // ‖·‖ = C exactly counts as unclipped (TFF: norm <= clip)
        Assert.Equal(3, aggregator.Count);
        Assert.Equal(2, aggregator.UnclippedCount);

        var mean = new float[2];
        var release = aggregator.Finish(mean);

        // Sum (0.9, 2.2) over m = 4, not over the 3 clients that arrived.
        Assert.Equal(0.225f, mean[0], 6);
        Assert.Equal(0.55f, mean[1], 6);
        Assert.Equal([1.5 * 1.0], noise.Requested);
        Assert.Equal(new DpRoundRelease(1.0, 1.0, 1.5, 1.5, 1.5, 4, null), release);
    }

    [Fact]
    public void Noise_on_the_sum_has_std_z_times_c_so_the_mean_has_z_c_over_m()
    {
        var noise = new RecordingNoiseSource(shift: 1);
        var aggregator = new DpFedAvgAggregator(3, clipNorm: 2.0, noiseMultiplier: 0.8, expectedCohortSize: 10, noise);
        var mean = new float[3];
        aggregator.Finish(mean);

        // The fake adds exactly one std to every coordinate: 0.8·2 on the sum, 0.16 on the mean.
        Assert.All(mean, v => Assert.Equal(0.16f, v, 6));
    }

    [Fact]
    public void Secure_noise_on_an_empty_round_has_the_promised_spread()
    {
        const int dimension = 200_000;
        var aggregator = new DpFedAvgAggregator(dimension, clipNorm: 1.0, noiseMultiplier: 1.0, expectedCohortSize: 10);
        var mean = new float[dimension];
        var release = aggregator.Finish(mean);

        // z·C/m = 0.1; the relative SE of a sample SD is 1/√(2n) = 0.16 %, so 5 SE is 0.8 %.
        double sd = Math.Sqrt(mean.Sum(v => (double)v * v) / dimension);
        Assert.InRange(sd, 0.1 * (1 - 0.008), 0.1 * (1 + 0.008));

        // Rounding to the grid raises the std by √d·γ·z at most: a relative 2.6e-11 here.
        Assert.InRange(release.NoiseStandardDeviation, 1.0, 1.0 + 1e-10);
    }

    [Fact]
    public void Noise_std_covers_the_grid_rounding()
    {
        // A coarse fake grid, γ = 1e-3·σ, on d = 10,000: the sensitivity grows by √d·γ = 0.1·σ, so σ must satisfy
        // σ ≥ z·(C + 0.1σ), i.e. σ ≥ zC/(1 − 0.1z) = 1/0.9 for z = C = 1.
        var noise = new RecordingNoiseSource(granularityRatio: 1e-3);
        var aggregator = new DpFedAvgAggregator(10_000, 1.0, 1.0, 5, noise);
        var release = aggregator.Finish(new float[10_000]);
        Assert.True(release.NoiseStandardDeviation >= 1.0 * (1.0 + (100 * 1e-3 * release.NoiseStandardDeviation)) - 1e-12);
        Assert.InRange(release.NoiseStandardDeviation, 1 / 0.9, 1 / 0.9 * 1.001);
    }

    [Fact]
    public void Finish_starts_a_new_round_and_leaves_the_inputs_alone()
    {
        var aggregator = new DpFedAvgAggregator(2, 1.0, 1.0, 2, new RecordingNoiseSource());
        float[] update = [3f, 4f];
        aggregator.Add(update);
        Assert.Equal([3f, 4f], update);

        aggregator.Finish(new float[2]);
        Assert.Equal(0, aggregator.Count);

        var mean = new float[2];
        aggregator.Add([0.1f, 0.1f]);
        aggregator.Finish(mean);
        Assert.Equal([0.05f, 0.05f], mean);
    }

    [Fact]
    public void Refuses_malformed_updates()
    {
        var aggregator = new DpFedAvgAggregator(2, 1.0, 1.0, 2, new RecordingNoiseSource());
        Assert.Equal("update", Assert.Throws<ArgumentException>(() => aggregator.Add([1f, 2f, 3f])).ParamName);
        Assert.Equal("update", Assert.Throws<NonFiniteUpdateException>(() => aggregator.Add([float.NaN, 0f])).ParamName);
        Assert.Equal("update", Assert.Throws<NonFiniteUpdateException>(() => aggregator.Add([float.PositiveInfinity, 0f])).ParamName);
        Assert.Equal("mean", Assert.Throws<ArgumentException>(() => aggregator.Finish(new float[1])).ParamName);
        Assert.Equal(0, aggregator.Count);
    }

    [Theory]
    [InlineData(0, 1, 1, "clipNorm")]
    [InlineData(-1, 1, 1, "clipNorm")]
    [InlineData(double.NaN, 1, 1, "clipNorm")]
    [InlineData(1, 0, 1, "noiseMultiplier")]
    [InlineData(1, double.PositiveInfinity, 1, "noiseMultiplier")]
    [InlineData(1, 1, 0, "expectedCohortSize")]
    public void Refuses_bad_parameters_naming_them(double clip, double z, double m, string parameter)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new DpFedAvgAggregator(2, clip, z, m));
        Assert.Equal(parameter, e.ParamName);
    }
}
