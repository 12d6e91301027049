using FedTrain.Core.Fairness;

namespace FedTrain.Aggregation.Tests;

public sealed class FairnessTests
{
    [Fact]
    public void Jain_index_is_one_for_equal_values_and_one_over_n_for_a_single_winner()
    {
        Assert.Equal(1.0, FairnessMetrics.JainIndex([1, 1, 1, 1]), 12);
        Assert.Equal(0.25, FairnessMetrics.JainIndex([1, 0, 0, 0]), 12);
        // (0.5 + 1)² / (2 · (0.25 + 1)) = 2.25 / 2.5.
        Assert.Equal(0.9, FairnessMetrics.JainIndex([0.5, 1]), 12);
    }

    [Fact]
    public void Gini_is_zero_for_equal_values_and_matches_the_mean_absolute_difference()
    {
        Assert.Equal(0.0, FairnessMetrics.Gini([0.8, 0.8, 0.8]), 12);
        // Σᵢⱼ|xᵢ − xⱼ| = 6, 2n²·mean = 2·16·0.25 = 8.
        Assert.Equal(0.75, FairnessMetrics.Gini([1, 0, 0, 0]), 12);
        // Σᵢⱼ|xᵢ − xⱼ| = 2·(1 + 2 + 3 + 1 + 2 + 1) = 20, 2n²·mean = 2·16·2.5 = 80; order does not matter.
        Assert.Equal(0.25, FairnessMetrics.Gini([3, 1, 4, 2]), 12);
    }

    [Fact]
    public void Percentile_interpolates_linearly_like_numpy()
    {
        double[] values = [0.5, 0.1, 0.2, 0.3, 0.4, 1.0, 0.6, 0.7, 0.8, 0.9];
        // h = 9·0.1 = 0.9 → 0.1 + 0.9·(0.2 − 0.1); numpy.percentile(values, 10) = 0.19.
        Assert.Equal(0.19, FairnessMetrics.Percentile(values, 10), 12);
        Assert.Equal(0.55, FairnessMetrics.Percentile(values, 50), 12);
        Assert.Equal(1.0, FairnessMetrics.Percentile(values, 100), 12);
        Assert.Equal(0.1, FairnessMetrics.Percentile(values, 0), 12);
    }

    [Fact]
    public void Report_collects_every_metric()
    {
        // mean 0.7; population variance (0.04 + 0 + 0.04)/3; P10: h = 0.2 → 0.5 + 0.2·0.2.
        var report = FairnessMetrics.Compute([0.9, 0.5, 0.7]);
        Assert.Equal(0.7, report.AccuracyMean, 12);
        Assert.Equal(Math.Sqrt(0.08 / 3), report.AccuracyStd, 12);
        Assert.Equal(0.5, report.AccuracyMin, 12);
        Assert.Equal(0.54, report.AccuracyP10, 12);
        Assert.Equal(2.1 * 2.1 / (3 * 1.55), report.JainIndex, 12);
        // Σᵢⱼ|xᵢ − xⱼ| = 2·(0.2 + 0.4 + 0.2) = 1.6; 2n²·mean = 2·9·0.7.
        Assert.Equal(1.6 / 12.6, report.Gini, 12);
        Assert.Equal(3, report.ClientsEvaluated);
    }

    [Fact]
    public void One_client_and_all_zero_clients_are_perfectly_fair()
    {
        Assert.Equal(new FairnessReport(0.42, 0, 0.42, 0.42, 1, 0, 1), FairnessMetrics.Compute([0.42]));
        Assert.Equal(new FairnessReport(0, 0, 0, 0, 1, 0, 3), FairnessMetrics.Compute([0, 0, 0]));
    }

    [Fact]
    public void No_clients_and_invalid_values_are_refused()
    {
        Assert.Throws<ArgumentException>(() => FairnessMetrics.Compute([]));
        Assert.Throws<ArgumentException>(() => FairnessMetrics.Compute([0.5, double.NaN]));
        Assert.Throws<ArgumentException>(() => FairnessMetrics.Gini([0.5, -0.1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => FairnessMetrics.Percentile([1], 101));
    }

    [Fact]
    public void Per_class_accuracy_marks_empty_classes_with_nan()
    {
        long[] correct = new long[3];
        long[] total = new long[3];
        PerClassAccuracy.Accumulate([3, 0, 1], [6, 0, 1], correct, total);
        PerClassAccuracy.Accumulate([2, 0, 2], [4, 0, 2], correct, total);
        var accuracy = new double[3];
        PerClassAccuracy.Compute(correct, total, accuracy);
        Assert.Equal(0.5, accuracy[0]);
        Assert.True(double.IsNaN(accuracy[1]));
        Assert.Equal(1.0, accuracy[2]);
        Assert.Throws<ArgumentException>(() => PerClassAccuracy.Compute([2], [1], new double[1]));
        Assert.Throws<ArgumentException>(() => PerClassAccuracy.Compute([1, 1], [1], new double[1]));
    }
}
