using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace FedTrain.Telemetry.Tests;

/// <summary>
/// The files in Dashboards/ against what FedTrain exports: every series a Grafana panel queries is one the
/// coordinator or a worker exports (from <see cref="FedTrainInstruments"/> and <see cref="KeptOrleansInstruments"/>), every query parses as PromQL, and
/// the Prometheus configuration passes <c>promtool check config</c>.
/// </summary>
public sealed partial class DashboardTests
{
    private static readonly string Dashboards = Path.Combine(RepoRoot(), "Dashboards");

    // PromQL words that are not metric names.
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan",
    };

    public static TheoryData<string> DashboardFiles() => new(DashboardNames());

    private static List<string> DashboardNames() =>
        Directory.GetFiles(Path.Combine(Dashboards, "grafana"), "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;

    [Fact]
    public void The_four_dashboards_are_there()
    {
        var names = DashboardNames();
        Assert.Equal(["fedtrain-fairness.json", "fedtrain-overview.json", "fedtrain-privacy.json", "fedtrain-workers.json"], names);
    }

    [Theory]
    [MemberData(nameof(DashboardFiles))]
    public void Every_queried_metric_is_one_FedTrain_exports(string file)
    {
        var exported = FedTrainInstruments.All.Concat(KeptOrleansInstruments.Kept).SelectMany(i => i.PrometheusSeriesNames).ToHashSet(StringComparer.Ordinal);
        var expressions = Expressions(file);
        Assert.NotEmpty(expressions);
        foreach (string expression in expressions)
        {
            var metrics = MetricNames(expression);
            Assert.True(metrics.Count > 0, $"{file}: '{expression}' queries no metric");
            foreach (string metric in metrics)
            {
                Assert.True(exported.Contains(metric), $"{file}: '{expression}' queries {metric}, which neither the coordinator nor a worker exports");
            }
        }
    }

    [Theory]
    [MemberData(nameof(DashboardFiles))]
    public void Dashboards_have_unique_panel_ids_and_a_prometheus_datasource_variable(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dashboards, "grafana", file)));
        var root = document.RootElement;
        Assert.StartsWith("fedtrain-", root.GetProperty("uid").GetString(), StringComparison.Ordinal);
        var ids = root.GetProperty("panels").EnumerateArray().Select(p => p.GetProperty("id").GetInt32()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var variable = root.GetProperty("templating").GetProperty("list").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "datasource");
        Assert.Equal("prometheus", variable.GetProperty("query").GetString());
    }

    [Fact]
    public async Task Every_dashboard_query_parses_as_PromQL()
    {
        // promtool checks rule files with Prometheus's own parser: one recording rule per panel query.
        var rules = new StringBuilder("groups:\n  - name: dashboards\n    rules:\n");
        int n = 0;
        foreach (string file in DashboardNames())
        {
            foreach (string expression in Expressions(file))
            {
                string promql = expression.Replace("$__rate_interval", "5m", StringComparison.Ordinal);
                rules.Append(CultureInfo.InvariantCulture, $"      - record: dashboard:query_{n++}\n        expr: '{promql.Replace("'", "''", StringComparison.Ordinal)}'\n");
            }
        }

        string path = Path.Combine(Path.GetTempPath(), $"fedtrain-dashboard-rules-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(path, rules.ToString());
        try
        {
            var (exit, output) = await Promtool.RunAsync(null, "check", "rules", path);
            Assert.True(exit == 0, output + "\n" + rules);
            Assert.Contains($"SUCCESS: {n} rules found", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Prometheus_configuration_passes_promtool()
    {
        var (exit, output) = await Promtool.RunAsync(null, "check", "config", Path.Combine(Dashboards, "prometheus", "prometheus.yml"));
        Assert.True(exit == 0, output);
    }

    [Fact]
    public void Prometheus_scrapes_every_coordinator_node_by_its_pod_name()
    {
        // One target per pod of the StatefulSet (standby nodes included: they serve their share of the traffic and
        // Orleans' series), by the name the headless Service gives it, not one name that resolves to whichever pod
        // answers.
        string config = File.ReadAllText(Path.Combine(Dashboards, "prometheus", "prometheus.yml"));
        Assert.All(Enumerable.Range(0, 3), i => Assert.Contains($"- fedtrain-coordinator-{i}.fedtrain-coordinator:8080", config, StringComparison.Ordinal));
        Assert.DoesNotContain("\"fedtrain-coordinator:8080\"", config, StringComparison.Ordinal);
    }

    [Fact]
    public void Collector_configuration_takes_OTLP_in_and_gives_Prometheus_and_OTLP_out()
    {
        string config = File.ReadAllText(Path.Combine(Dashboards, "otel-collector", "config.yaml"));
        Assert.Contains("0.0.0.0:4317", config, StringComparison.Ordinal);
        Assert.Contains("0.0.0.0:4318", config, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\s+metrics:\n\s+receivers: \[otlp\]\n.*\n\s+exporters: \[prometheus\]", config);
        Assert.Matches(@"(?m)^\s+traces:\n\s+receivers: \[otlp\]\n.*\n\s+exporters: \[otlp/traces", config);
        // The port Prometheus scrapes the collector on.
        Assert.Contains("0.0.0.0:8889", config, StringComparison.Ordinal);
        Assert.Contains("otel-collector:8889", File.ReadAllText(Path.Combine(Dashboards, "prometheus", "prometheus.yml")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_observability_guide_lists_every_metric()
    {
        string guide = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "observability.md"));
        Assert.All(FedTrainInstruments.All.Concat(KeptOrleansInstruments.Kept), i => Assert.Contains($"`{i.PrometheusName}`", guide, StringComparison.Ordinal));
    }

    /// <summary>Metric names in a PromQL expression: identifiers outside strings, label matchers, groupings and ranges.</summary>
    internal static IReadOnlyList<string> MetricNames(string expression)
    {
        string stripped = StringLiteral().Replace(expression, " ");
        stripped = Braces().Replace(stripped, " ");
        stripped = Grouping().Replace(stripped, " ");
        stripped = Range().Replace(stripped, " ");
        var names = new List<string>();
        foreach (Match match in Identifier().Matches(stripped))
        {
            string word = match.Groups["word"].Value;
            bool isFunction = match.Groups["call"].Success;
            if (!isFunction && !Keywords.Contains(word.ToLowerInvariant()) && !word.StartsWith('$'))
            {
                names.Add(word);
            }
        }

        return names;
    }

    private static List<string> Expressions(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dashboards, "grafana", file)));
        var expressions = new List<string>();
        Collect(document.RootElement, expressions);
        return expressions;
    }

    private static void Collect(JsonElement element, List<string> expressions)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        expressions.Add(property.Value.GetString()!);
                    }
                    else
                    {
                        Collect(property.Value, expressions);
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, expressions);
                }

                break;
            default:
                break;
        }
    }

    private static string RepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FedTrain.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("FedTrain.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Range();

    [GeneratedRegex(@"(?<![\w:$.])(?<word>[$a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifier();
}
