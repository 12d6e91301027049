using System.Diagnostics.Metrics;
using FedTrain.Telemetry.Prometheus;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace FedTrain.Telemetry.Tests;

/// <summary>The exposition text of real SDK metrics, collected through <see cref="PrometheusScrapeReader"/>.</summary>
public sealed class PrometheusTextWriterTests : IDisposable
{
    private readonly Meter _meter = new("FedTrain.Tests.Prometheus." + Guid.NewGuid().ToString("N"));
    private readonly PrometheusScrapeReader _reader = new();
    private readonly MeterProvider _provider;

    public PrometheusTextWriterTests()
    {
        _provider = Sdk.CreateMeterProviderBuilder().AddMeter(_meter.Name).AddReader(_reader).Build();
    }

    public void Dispose()
    {
        _provider.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public void Counter_gets_total_suffix_help_type_and_escaped_labels()
    {
        var counter = _meter.CreateCounter<long>("demo.requests", "{request}", "Requests \\ served\nper path.");
        counter.Add(3, new KeyValuePair<string, object?>("path", "a\"b\\c\nd"));
        counter.Add(2, new KeyValuePair<string, object?>("path", "plain"));

        string text = _reader.Scrape();

        Assert.Equal(
            "# HELP demo_requests_total Requests \\\\ served\\nper path.\n"
            + "# TYPE demo_requests_total counter\n"
            + "demo_requests_total{path=\"a\\\"b\\\\c\\nd\"} 3\n"
            + "demo_requests_total{path=\"plain\"} 2\n",
            Sorted(text));
    }

    [Fact]
    public void Histogram_has_cumulative_buckets_ending_in_plus_inf_then_sum_and_count()
    {
        var histogram = _meter.CreateHistogram(
            "demo.latency", "s", "Latency.", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 2.5] });
        histogram.Record(0.25, new KeyValuePair<string, object?>("stage", "fold"));
        histogram.Record(1);
        histogram.Record(1.5);
        histogram.Record(7);

        string text = _reader.Scrape();

        Assert.Contains("# TYPE demo_latency_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains(
            "demo_latency_seconds_bucket{le=\"0.5\"} 0\n"
            + "demo_latency_seconds_bucket{le=\"2.5\"} 2\n"
            + "demo_latency_seconds_bucket{le=\"+Inf\"} 3\n"
            + "demo_latency_seconds_sum 9.5\n"
            + "demo_latency_seconds_count 3\n",
            text,
            StringComparison.Ordinal);
        Assert.Contains(
            "demo_latency_seconds_bucket{stage=\"fold\",le=\"0.5\"} 1\n"
            + "demo_latency_seconds_bucket{stage=\"fold\",le=\"2.5\"} 1\n"
            + "demo_latency_seconds_bucket{stage=\"fold\",le=\"+Inf\"} 1\n"
            + "demo_latency_seconds_sum{stage=\"fold\"} 0.25\n"
            + "demo_latency_seconds_count{stage=\"fold\"} 1\n",
            text,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Gauges_and_up_down_counters_are_gauges_with_special_values_spelled_out()
    {
        _meter.CreateObservableGauge("demo.accuracy", () => 0.8125, "1", "Accuracy.");
        _meter.CreateObservableGauge("demo.epsilon", () => double.PositiveInfinity, string.Empty, "Epsilon.");
        var live = _meter.CreateUpDownCounter<long>("demo.live", "{worker}", "Live workers.");
        live.Add(5);
        live.Add(-2);

        string text = _reader.Scrape();

        Assert.Contains("# TYPE demo_accuracy_ratio gauge\ndemo_accuracy_ratio 0.8125\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE demo_epsilon gauge\ndemo_epsilon +Inf\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE demo_live gauge\ndemo_live 3\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_finds_no_problem_in_a_mix_of_every_kind()
    {
        _meter.CreateCounter<double>("demo.bytes", "By", "Bytes moved.").Add(1.5e9, new KeyValuePair<string, object?>("direction", "up"));
        _meter.CreateHistogram("demo.step", "s", "Step time.", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1e-3, 0.01] }).Record(0.002);
        _meter.CreateObservableGauge("demo.ratio", () => 1e-7, "1", "A small ratio with \"quotes\".");
        _meter.CreateCounter<long>("demo.events", "{event}", "Events.").Add(1, new KeyValuePair<string, object?>("reason", "x\\y\"z"));

        var (exit, output) = await Promtool.RunAsync(_reader.Scrape(), "check", "metrics");

        Assert.True(exit == 0 && output.Trim().Length == 0, output);
    }

    [Fact]
    public void Values_format_as_Prometheus_reads_them()
    {
        Assert.Equal("+Inf", PrometheusTextWriter.FormatValue(double.PositiveInfinity));
        Assert.Equal("-Inf", PrometheusTextWriter.FormatValue(double.NegativeInfinity));
        Assert.Equal("NaN", PrometheusTextWriter.FormatValue(double.NaN));
        Assert.Equal("0.1", PrometheusTextWriter.FormatValue(0.1));
        Assert.Equal("1E-07", PrometheusTextWriter.FormatValue(1e-7));
    }

    /// <summary>Orders the sample lines of a single family (the SDK does not promise an order of label sets).</summary>
    private static string Sorted(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var comments = lines.Where(l => l.StartsWith('#'));
        var samples = lines.Where(l => !l.StartsWith('#')).Order(StringComparer.Ordinal);
        return string.Join('\n', comments.Concat(samples)) + "\n";
    }
}
