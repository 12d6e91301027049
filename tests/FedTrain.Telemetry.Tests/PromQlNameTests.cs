namespace FedTrain.Telemetry.Tests;

/// <summary>The PromQL name extraction the dashboard test relies on.</summary>
public sealed class PromQlNameTests
{
    [Theory]
    [InlineData("max(fedtrain_round_current)", new[] { "fedtrain_round_current" })]
    [InlineData("histogram_quantile(0.95, sum by (le, stage) (rate(fedtrain_aggregation_duration_seconds_bucket[$__rate_interval])))", new[] { "fedtrain_aggregation_duration_seconds_bucket" })]
    [InlineData("sum(rate(a_total{direction=\"up\", x=~\"b|c\"}[5m])) / on(job) group_left sum(b_sum)", new[] { "a_total", "b_sum" })]
    [InlineData("max(x) - max(y) > bool 0.5 and z offset 1h", new[] { "x", "y", "z" })]
    public void Finds_metric_names_only(string expression, string[] expected) =>
        Assert.Equal(expected, DashboardTests.MetricNames(expression));
}
