namespace FedTrain.Privacy.Tests;

public sealed class PrivateHistogramTests
{
    [Fact]
    public void Every_bucket_gets_noise_of_the_noise_multiplier_and_the_counts_stay_unchanged()
    {
        long[] counts = [3, 0, 7];
        var noise = new RecordingNoiseSource(shift: 0.5);
        var released = PrivateHistogram.Release(counts, 4, noise);
        Assert.Equal([5.0, 2.0, 9.0], released);
        Assert.Equal([4.0], noise.Requested);
        Assert.Equal([3L, 0, 7], counts);
    }

    [Fact]
    public void The_secure_noise_has_the_requested_spread_around_the_counts()
    {
        var counts = new long[20_000];
        Array.Fill(counts, 10L);
        var released = PrivateHistogram.Release(counts, 3);
        double mean = released.Average();
        double std = Math.Sqrt(released.Select(x => (x - mean) * (x - mean)).Average());
        // Standard errors: 3/√20000 ≈ 0.021 for the mean, 3/√40000 = 0.015 for the std; 5 of each.
        Assert.InRange(mean, 10 - 0.11, 10 + 0.11);
        Assert.InRange(std, 3 - 0.075, 3 + 0.075);
    }

    [Fact]
    public void Bad_input_is_refused()
    {
        Assert.Throws<ArgumentException>(() => PrivateHistogram.Release([], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrivateHistogram.Release([1], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrivateHistogram.Release([-1], 1));
        // A grid coarser than one count would move integer counts and break the sensitivity of 1.
        Assert.Throws<ArgumentOutOfRangeException>(() => PrivateHistogram.Release([1], 1, new RecordingNoiseSource(granularityRatio: 3)));
    }

    [Fact]
    public void A_round_of_two_releases_composes_in_the_budget()
    {
        var budget = new PrivacyBudget(100, 1e-5);
        SgmEvent[] round = [new(0.3, 1.0, 1), new(0.3, 4.0, 1)];
        double predicted = budget.EpsilonAfter(round);
        budget.Commit(0.3, 1.0);
        budget.Commit(0.3, 4.0);
        Assert.Equal(predicted, budget.SpentEpsilon, 12);
        Assert.True(predicted > NoiseCalibration.Epsilon(0.3, 1.0, 1, 1e-5), "the histogram's release costs something");
        Assert.Equal(predicted, NoiseCalibration.Epsilon(0.3, 1.0, 1, 1e-5, alongside: [new SgmEvent(0.3, 4.0, 1)]), 12);
        // Calibrating the model's noise around fixed histogram releases meets the target with both counted.
        double z = NoiseCalibration.NoiseMultiplierFor(3, 0.3, 10, 1e-5, alongside: [new SgmEvent(0.3, 4.0, 10)]);
        Assert.InRange(NoiseCalibration.Epsilon(0.3, z, 10, 1e-5, alongside: [new SgmEvent(0.3, 4.0, 10)]), 2.99, 3);
        Assert.True(z > NoiseCalibration.NoiseMultiplierFor(3, 0.3, 10, 1e-5));
    }
}
