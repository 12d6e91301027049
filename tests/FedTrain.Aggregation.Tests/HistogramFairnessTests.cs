using System.Globalization;
using FedTrain.Core.Fairness;
using Xunit.Abstractions;

namespace FedTrain.Aggregation.Tests;

/// <summary>
/// The fairness figures a DP run publishes, computed from a noised histogram of client accuracies: exact on exact
/// counts up to the bucketing, and with a measured error under the default noise (std 4 per bucket, 20 buckets).
/// </summary>
public sealed class HistogramFairnessTests(ITestOutputHelper output)
{
    [Fact]
    public void Exact_counts_give_the_figures_of_the_bucket_centres()
    {
        // Two clients at 0.525 (bucket 10 of 20) and two at 0.925 (bucket 18).
        double[] accuracies = [0.51, 0.54, 0.91, 0.94];
        var counts = HistogramFairness.Counts(accuracies, 20);
        Assert.Equal(2, counts[10]);
        Assert.Equal(2, counts[18]);
        var report = HistogramFairness.FromHistogram(counts.Select(c => (double)c).ToArray(), 0)!;
        var centres = FairnessMetrics.Compute([0.525, 0.525, 0.925, 0.925]);
        Assert.Equal(centres.AccuracyMean, report.AccuracyMean, 12);
        Assert.Equal(centres.AccuracyStd, report.AccuracyStd, 12);
        Assert.Equal(centres.JainIndex, report.JainIndex, 12);
        Assert.Equal(centres.Gini, report.Gini, 12);
        Assert.Equal(0.525, report.AccuracyMin, 12);
        Assert.Equal(4, report.ClientsEvaluated);
        Assert.Null(report.NoiseStandardDeviation);
        // The bucketing alone moves the mean by at most half a bucket.
        Assert.True(Math.Abs(report.AccuracyMean - FairnessMetrics.Mean(accuracies)) <= 0.025);
    }

    [Fact]
    public void An_accuracy_of_one_falls_in_the_last_bucket_and_out_of_range_values_are_refused()
    {
        Assert.Equal(19, HistogramFairness.BucketOf(1.0, 20));
        Assert.Equal(0, HistogramFairness.BucketOf(0.0, 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => HistogramFairness.BucketOf(double.NaN, 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => HistogramFairness.BucketOf(1.5, 20));
    }

    [Fact]
    public void A_histogram_holding_less_than_one_client_after_noise_gives_no_figures()
    {
        Assert.Null(HistogramFairness.FromHistogram([-3, 0.4, -1, 0.2], 2));
        // Only the bucket that stands a deviation out of the noise holds clients; the count is the unbiased sum.
        var noisy = HistogramFairness.FromHistogram([-1, 6.2, -1, 0.4], 2)!;
        Assert.Equal(5, noisy.ClientsEvaluated);
        Assert.Equal(0.375, noisy.AccuracyMean, 12);
        Assert.Equal(0.375, noisy.AccuracyMin, 12);
        Assert.Equal(2, noisy.NoiseStandardDeviation);
        Assert.Equal([-1, 6.2, -1, 0.4], noisy.NoisyHistogram);
        // With no bucket standing out, every positive count is used.
        Assert.Equal([0, 2.6, 0, 0.4], HistogramFairness.Weights([-3, 2.6, -1, 0.4], 4));
    }

    /// <summary>
    /// The error of each published figure against the exact figures of the same clients, over many draws of the noise
    /// (std 4 per bucket, 20 buckets) and of client accuracies from a spread like a non-IID Fashion-MNIST round's.
    /// The bounds are the measured mean absolute errors (docs/privacy.md), with room for the draws.
    /// </summary>
    [Theory]
    [InlineData(40, 0.10, 0.095, 0.20, 0.31, 0.085, 0.097)]
    [InlineData(200, 0.023, 0.034, 0.135, 0.11, 0.021, 0.024)]
    [InlineData(1000, 0.0055, 0.009, 0.1, 0.029, 0.005, 0.006)]
    public void Measured_error_of_each_figure_at_the_default_noise(
        int clients, double meanBound, double stdBound, double minBound, double p10Bound, double jainBound, double giniBound)
    {
        const int Trials = 2000, Buckets = 20;
        const double Noise = 4;
        var random = new Random(11);
        var errors = new double[6];
        int withFigures = 0;
        for (int trial = 0; trial < Trials; trial++)
        {
            var accuracies = new double[clients];
            for (int i = 0; i < clients; i++)
            {
                // Most clients near 0.8, a long tail of badly served ones.
                double a = random.NextDouble() < 0.85 ? 0.8 + (0.06 * Gaussian(random)) : 0.45 + (0.15 * Gaussian(random));
                accuracies[i] = Math.Clamp(a, 0, 1);
            }

            var exact = FairnessMetrics.Compute(accuracies);
            var noisy = HistogramFairness.Counts(accuracies, Buckets).Select(c => c + (Noise * Gaussian(random))).ToArray();
            if (HistogramFairness.FromHistogram(noisy, Noise) is not { } released)
            {
                continue;
            }

            withFigures++;
            errors[0] += Math.Abs(released.AccuracyMean - exact.AccuracyMean);
            errors[1] += Math.Abs(released.AccuracyStd - exact.AccuracyStd);
            errors[2] += Math.Abs(released.AccuracyMin - exact.AccuracyMin);
            errors[3] += Math.Abs(released.AccuracyP10 - exact.AccuracyP10);
            errors[4] += Math.Abs(released.JainIndex - exact.JainIndex);
            errors[5] += Math.Abs(released.Gini - exact.Gini);
        }

        var mean = errors.Select(e => e / withFigures).ToArray();
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"n={clients}: mean {mean[0]:F4}, std {mean[1]:F4}, min {mean[2]:F4}, p10 {mean[3]:F4}, jain {mean[4]:F4}, gini {mean[5]:F4}"));
        Assert.Equal(Trials, withFigures);
        double[] bounds = [meanBound, stdBound, minBound, p10Bound, jainBound, giniBound];
        for (int i = 0; i < bounds.Length; i++)
        {
            Assert.True(mean[i] <= bounds[i], $"figure {i}: mean absolute error {mean[i]:F4} above {bounds[i]}");
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
