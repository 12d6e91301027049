using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using FedTrain.Telemetry.Prometheus;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FedTrain.Telemetry.Tests;

/// <summary>
/// What <c>/metrics</c> serves: the OpenTelemetry Prometheus exporter package's exposition of real SDK metrics, on a
/// real Kestrel, set up as the coordinator sets it up (<see cref="PrometheusEndpoint"/>).
/// </summary>
public sealed partial class PrometheusExpositionTests : IAsyncLifetime, IDisposable
{
    private readonly Meter _meter = new("FedTrain.Tests.Prometheus." + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new();
    private WebApplication? _app;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(_meter.Name).AddFedTrainPrometheus());
        _app = builder.Build();
        _app.MapFedTrainPrometheus();
        await _app.StartAsync();
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        _http.BaseAddress = new Uri(addresses.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public async Task Every_FedTrain_metric_and_kept_Orleans_metric_is_served_under_the_name_the_dashboards_query_and_passes_promtool()
    {
        var definitions = FedTrainInstruments.All.Concat(KeptOrleansInstruments.Kept).ToList();
        foreach (var definition in definitions.DistinctBy(i => i.Name))
        {
            var tags = definition.Labels.Select(l => new KeyValuePair<string, object?>(l, "x")).ToArray();
            switch (definition.Kind)
            {
                case InstrumentKind.Counter:
                    _meter.CreateCounter<long>(definition.Name, definition.Unit, definition.Description).Add(2, tags);
                    break;
                case InstrumentKind.Gauge:
                    _meter.CreateObservableGauge(definition.Name, () => new Measurement<double>(0.25, tags), definition.Unit, definition.Description);
                    break;
                default:
                    _meter.CreateHistogram(
                        definition.Name, definition.Unit, definition.Description, tags: null,
                        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = definition.Buckets }).Record(0.25, tags);
                    break;
            }
        }

        string text = await ScrapeAsync();

        var samples = Samples(text);
        foreach (var definition in definitions)
        {
            string type = definition.Kind switch { InstrumentKind.Counter => "counter", InstrumentKind.Gauge => "gauge", _ => "histogram" };
            Assert.Contains($"# TYPE {definition.PrometheusName} {type}\n", text, StringComparison.Ordinal);
            foreach (string series in definition.PrometheusSeriesNames)
            {
                var points = samples.Where(s => s.Name == series).ToList();
                Assert.True(points.Count > 0, $"{series} is missing:\n{text}");
                Assert.All(points, p => Assert.All(definition.Labels, l => Assert.Equal("x", p.Labels.GetValueOrDefault(l))));
            }
        }

        var (exit, output) = await Promtool.RunAsync(text, "check", "metrics");
        Assert.True(exit == 0 && output.Trim().Length == 0, output + "\n" + text);
    }

    [Fact]
    public async Task Histograms_have_cumulative_buckets_ending_in_plus_inf_then_sum_and_count()
    {
        var histogram = _meter.CreateHistogram(
            "demo.latency", "s", "Latency.", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 2.5] });
        histogram.Record(0.25, new KeyValuePair<string, object?>("stage", "fold"));
        histogram.Record(1);
        histogram.Record(1.5);
        histogram.Record(7);

        string text = await ScrapeAsync();

        Assert.Contains("# TYPE demo_latency_seconds histogram\n", text, StringComparison.Ordinal);
        var samples = Samples(text);
        string Value(string name, string? stage, string? le) => samples.Single(
            s => s.Name == name && s.Labels.GetValueOrDefault("stage") == stage && s.Labels.GetValueOrDefault("le") == le).Value;
        Assert.Equal(new[] { "0", "2", "3", "9.5", "3" }, new[] {
            Value("demo_latency_seconds_bucket", null, "0.5"), Value("demo_latency_seconds_bucket", null, "2.5"),
            Value("demo_latency_seconds_bucket", null, "+Inf"), Value("demo_latency_seconds_sum", null, null), Value("demo_latency_seconds_count", null, null) });
        Assert.Equal(new[] { "1", "1", "1", "0.25", "1" }, new[] {
            Value("demo_latency_seconds_bucket", "fold", "0.5"), Value("demo_latency_seconds_bucket", "fold", "2.5"),
            Value("demo_latency_seconds_bucket", "fold", "+Inf"), Value("demo_latency_seconds_sum", "fold", null), Value("demo_latency_seconds_count", "fold", null) });
    }

    [Fact]
    public async Task Help_and_label_values_are_escaped_and_special_values_spelled_out()
    {
        var counter = _meter.CreateCounter<long>("demo.requests", "{request}", "Requests \\ served\nper path.");
        counter.Add(3, new KeyValuePair<string, object?>("path", "a\"b\\c\nd"));
        _meter.CreateObservableGauge("demo.epsilon", () => double.PositiveInfinity, string.Empty, "Epsilon.");

        string text = await ScrapeAsync();

        Assert.Contains("# HELP demo_requests_total Requests \\\\ served\\nper path.\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE demo_requests_total counter\n", text, StringComparison.Ordinal);
        var samples = Samples(text);
        Assert.Equal("3", samples.Single(s => s.Name == "demo_requests_total").Value);
        Assert.Equal("a\\\"b\\\\c\\nd", samples.Single(s => s.Name == "demo_requests_total").Labels["path"]);
        Assert.Equal("+Inf", samples.Single(s => s.Name == "demo_epsilon").Value);
    }

    [Fact]
    public async Task Answers_the_Prometheus_text_format()
    {
        _meter.CreateObservableGauge("demo.live", () => 1, "{worker}", "Live workers.");
        using var response = await _http.GetAsync(new Uri(PrometheusEndpoint.Path, UriKind.Relative));
        Assert.True(response.IsSuccessStatusCode);
        var type = response.Content.Headers.ContentType!;
        Assert.Equal("text/plain", type.MediaType);
        Assert.Contains(type.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
    }

    [Fact]
    public void Ratio_suffix_is_restored_on_samples_and_metadata_of_FedTrain_ratio_gauges_only()
    {
        const string Package = "# HELP fedtrain_model_accuracy Accuracy.\n# TYPE fedtrain_model_accuracy gauge\nfedtrain_model_accuracy 0.5\n"
            + "fedtrain_model_accuracy_other 1\nfedtrain_process_cpu_utilization{otel_scope_name=\"x\"} 0.1\ndotnet_thing 2\n";

        Assert.Equal(
            "# HELP fedtrain_model_accuracy_ratio Accuracy.\n# TYPE fedtrain_model_accuracy_ratio gauge\nfedtrain_model_accuracy_ratio 0.5\n"
            + "fedtrain_model_accuracy_other 1\nfedtrain_process_cpu_utilization_ratio{otel_scope_name=\"x\"} 0.1\ndotnet_thing 2\n",
            PrometheusRatioSuffix.Restore(Package));
    }

    private async Task<string> ScrapeAsync() => await _http.GetStringAsync(new Uri(PrometheusEndpoint.Path, UriKind.Relative));

    /// <summary>Sample lines as name, raw (still escaped) label values and value; a trailing timestamp is left out.</summary>
    private static List<(string Name, Dictionary<string, string> Labels, string Value)> Samples(string text)
    {
        var samples = new List<(string, Dictionary<string, string>, string)>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')))
        {
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: '{line}'");
            var labels = LabelPair().Matches(match.Groups["labels"].Value)
                .ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value, StringComparer.Ordinal);
            samples.Add((match.Groups["name"].Value, labels, match.Groups["value"].Value));
        }

        return samples;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( -?\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
