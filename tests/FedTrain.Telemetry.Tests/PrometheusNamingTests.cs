using FedTrain.Telemetry.Prometheus;

namespace FedTrain.Telemetry.Tests;

public sealed class PrometheusNamingTests
{
    [Theory]
    [InlineData("fedtrain.round.duration", "s", false, "fedtrain_round_duration_seconds")]
    [InlineData("fedtrain.rounds.completed", "{round}", true, "fedtrain_rounds_completed_total")]
    [InlineData("fedtrain.model.transfer", "By", true, "fedtrain_model_transfer_bytes_total")]
    [InlineData("fedtrain.aggregation.throughput", "By/s", false, "fedtrain_aggregation_throughput_bytes_per_second")]
    [InlineData("fedtrain.model.accuracy", "1", false, "fedtrain_model_accuracy_ratio")]
    [InlineData("fedtrain.model.loss", "", false, "fedtrain_model_loss")]
    [InlineData("fedtrain.process.cpu.time", "s", true, "fedtrain_process_cpu_time_seconds_total")]
    [InlineData("requests", "1", true, "requests_total")]
    [InlineData("already_seconds", "s", false, "already_seconds")]
    [InlineData("already_total", "", true, "already_total")]
    [InlineData("http.server-duration", "ms", false, "http_server_duration_milliseconds")]
    [InlineData("9lives", "", false, "_9lives")]
    [InlineData("odd..name/with spaces", "{thing}/s", false, "odd_name_with_spaces_per_second")]
    [InlineData("ns:metric", "", false, "ns:metric")]
    public void Maps_names_and_units_as_the_OpenTelemetry_compatibility_rules_say(string name, string unit, bool counter, string expected) =>
        Assert.Equal(expected, PrometheusNaming.MetricName(name, unit, counter));

    [Theory]
    [InlineData("reason", "reason")]
    [InlineData("http.method", "http_method")]
    [InlineData("a:b", "a_b")]
    [InlineData("1st", "_1st")]
    public void Sanitises_label_names(string key, string expected) => Assert.Equal(expected, PrometheusNaming.LabelName(key));

    [Fact]
    public void Every_instrument_has_a_distinct_fedtrain_name_per_meter()
    {
        foreach (var group in FedTrainInstruments.All.GroupBy(i => i.Meter))
        {
            var names = group.Select(i => i.PrometheusName).ToList();
            Assert.Equal(names.Count, names.Distinct().Count());
            Assert.All(names, n => Assert.Matches("^fedtrain_[a-z0-9_]+$", n));
        }

        Assert.All(
            FedTrainInstruments.All.Where(i => i.Kind == InstrumentKind.Histogram),
            i => Assert.True(i.Buckets is { Count: > 0 }, $"{i.Name} needs bucket bounds in its unit"));
    }
}
