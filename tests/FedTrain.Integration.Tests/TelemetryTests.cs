using System.Diagnostics;
using System.Text.RegularExpressions;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary>
/// Telemetry of a real federation (coordinator and worker processes): OTLP export to an in-test receiver, with
/// each round one trace that the workers' spans join, and the coordinator's Prometheus endpoint checked by promtool.
/// </summary>
public sealed partial class TelemetryTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Demo_exports_round_traces_with_worker_children_and_metrics_over_OTLP_and_serves_valid_Prometheus_metrics()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        // Metrics over http/protobuf through the common variables; traces over gRPC through the per-signal ones.
        var environment = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.HttpEndpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = receiver.GrpcEndpoint,
            ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "grpc",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "500",
            // A loaded test machine can be slow to answer; an export that times out is dropped, not retried.
            ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "30000",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment=integration-test",
        };
        string dir = RepoPaths.NewRunDirectory("telemetry");
        using var demo = CliProcess.Start(
            environment,
            "demo", "--workers", "2", "--rounds", "2", "--out", dir, "--partition", "iid", "--seed", "3",
            "--train-limit", "1200", "--test-limit", "300", "--local-steps", "8", "--batch-size", "16");

        // During the run: scrape /metrics after round 1 commits, while round 2 trains.
        await demo.WaitForOutputAsync("round   1", RunTimeout);
        int httpPort = int.Parse(HttpPort().Match(demo.Output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{httpPort}/metrics"));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Content.Headers.ContentType!.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        var (promtoolExit, promtoolOutput) = await PromtoolCheckMetricsAsync(body);
        // The one lint promtool has: four .NET runtime gauges whose semantic-convention names end in .count
        // (docs/observability.md). Anything else, FedTrain's series above all, must pass clean.
        var problems = promtoolOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !RuntimeCountLint().IsMatch(line)).ToList();
        Assert.True(problems.Count == 0 && promtoolExit is 0 or 3, $"promtool ({promtoolExit}): {promtoolOutput}\n{body}");
        // The package labels every sample with its meter (otel_scope_name).
        const string Scope = @"\{otel_scope_name=""FedTrain.Coordinator""\}";
        Assert.Matches(@"(?m)^fedtrain_rounds_completed_total" + Scope + " [12]$", body);
        Assert.Matches(@"(?m)^fedtrain_model_accuracy_ratio" + Scope + @" 0\.\d+", body);
        Assert.Matches(@"(?m)^fedtrain_round_duration_seconds_bucket\{otel_scope_name=""FedTrain.Coordinator"",le=""\+Inf""\} [12]$", body);
        Assert.Matches(@"(?m)^fedtrain_model_transfer_bytes_total\{otel_scope_name=""FedTrain.Coordinator"",direction=""up""\} \d+", body);
        Assert.Matches(@"(?m)^fedtrain_fairness_jain_index" + Scope + @" (0\.\d+|1)$", body);
        Assert.Matches(@"(?m)^fedtrain_workers_live" + Scope + " 2$", body);
        Assert.Contains("# TYPE fedtrain_process_cpu_utilization_ratio gauge", body, StringComparison.Ordinal);
        // The demo's coordinator is a cluster of one: one node, holding the run grain, and of Orleans' own series
        // only the chosen ones, each with help text (promtool passed them above).
        Assert.Matches(@"(?m)^fedtrain_cluster_nodes" + Scope + " 1$", body);
        Assert.Matches(@"(?m)^orleans_catalog_activations\{otel_scope_name=""Microsoft.Orleans"",grain_type=""run""\} 1$", body);
        Assert.Matches(@"(?m)^# HELP orleans_catalog_activations \S", body);
        Assert.DoesNotMatch(@"(?m)^orleans_\w*(milliseconds|latency)", body);
        // The API wants the demo's operator token (the metrics endpoint does not).
        using var clusterRequest = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{httpPort}/api/cluster"));
        clusterRequest.Headers.Authorization = new("Bearer", (await File.ReadAllTextAsync(Path.Combine(dir, "operator.token"))).Trim());
        using var clusterResponse = await http.SendAsync(clusterRequest);
        using var cluster = System.Text.Json.JsonDocument.Parse(await clusterResponse.EnsureSuccessStatusCode().Content.ReadAsStringAsync());
        var node = Assert.Single(cluster.RootElement.GetProperty("nodes").EnumerateArray());
        Assert.True(node.GetProperty("leads").GetBoolean());
        Assert.Equal("active", node.GetProperty("status").GetString());
        Assert.Matches(@"^127\.0\.0\.1:\d+$", node.GetProperty("address").GetString());
        // The instrumentation packages' series: .NET runtime, and ASP.NET Core for the HTTP port only (the gRPC
        // port is HTTP/2, the HTTP port HTTP/1.1).
        Assert.Matches(@"(?m)^dotnet_gc_collections_total\{", body);
        Assert.DoesNotMatch(@"(?m)^http_server_request_duration_seconds_count\{[^}]*network_protocol_version=""2""", body);
        Assert.DoesNotMatch(@"(?m)^(http_server_active_requests|aspnetcore_routing_match_attempts)", body);

        int exit = await demo.WaitForExitAsync(RunTimeout);
        Assert.True(exit == 0, demo.Output);

        // Every process flushes on exit; allow the last export a moment to land.
        var spans = await WaitForAsync(
            receiver.Spans,
            s => s.Count(x => x.Name == "round") >= 2
                && new[] { "worker.train", "worker.upload", "fedtrain.v1.Coordinator/UploadUpdate" }.All(name => s.Count(x => x.Name == name) >= Accepted(dir)),
            TimeSpan.FromSeconds(30));
        Assert.All(spans, s => Assert.Equal("grpc", s.Protocol));

        var rounds = spans.Where(s => s.Name == "round" && s.Service == "fedtrain-coordinator").ToList();
        Assert.Equal(2, rounds.Count);
        Assert.Equal(2, rounds.Select(r => r.TraceId).Distinct().Count());
        var summary = RunSummary.Rounds(RunSummary.Load(dir));
        foreach (var round in rounds)
        {
            var trace = spans.Where(s => s.TraceId == round.TraceId).ToList();
            string tree = Tree(trace);
            Assert.True(round.ParentId.Trim('0').Length == 0, "a round's span is its trace's root:\n" + tree);
            // Every other span hangs below it: the workers' spans and the coordinator's server spans included.
            var ids = trace.Select(s => s.SpanId).ToHashSet();
            Assert.True(trace.All(s => s == round || ids.Contains(s.ParentId)), "a span's parent is missing from the trace:\n" + tree);
            Assert.All(
                new[] { "selection", "aggregation", "evaluation" },
                name => Assert.True(trace.Any(s => s.Name == name && s.ParentId == round.SpanId && s.Service == "fedtrain-coordinator"), $"no {name} span:\n{tree}"));

            // Each worker whose update the round aggregated: its part of the round is a child of the round span,
            // with download, train and upload below it, and the coordinator's server spans below those.
            long number = round.Span.Attributes.Single(a => a.Key == "fedtrain.round").Value.IntValue;
            var participants = summary.Single(r => r.GetProperty("round").GetInt64() == number).GetProperty("clients").EnumerateArray()
                .Select(c => c.GetProperty("worker_id").GetString()).ToList();
            Assert.NotEmpty(participants);
            foreach (string? workerId in participants)
            {
                var worker = Single(trace, s => s.Name == "worker.round" && s.ParentId == round.SpanId && s.Instance == workerId && trace.Any(u => u.Name == "worker.upload" && u.ParentId == s.SpanId), tree);
                Assert.Equal("fedtrain-worker", worker.Service);
                var download = Single(trace, s => s.Name == "worker.download" && s.ParentId == worker.SpanId, tree);
                Single(trace, s => s.Name == "worker.train" && s.ParentId == worker.SpanId, tree);
                var upload = Single(trace, s => s.Name == "worker.upload" && s.ParentId == worker.SpanId, tree);
                // Each call is a gRPC client span of the worker (Grpc.Net.Client instrumentation) inside the worker's own
                // span, and the coordinator's server span continues the traceparent that call sent.
                foreach (var (method, parent) in new[] { ("DownloadModel", download), ("UploadUpdate", upload), ("ReportMetrics", worker) })
                {
                    string name = "fedtrain.v1.Coordinator/" + method;
                    var client = Single(trace, s => s.Name == name && s.ParentId == parent.SpanId && s.Service == "fedtrain-worker", tree);
                    Single(trace, s => s.Name == name && s.ParentId == client.SpanId && s.Service == "fedtrain-coordinator", tree);
                }
            }

            // Federated evaluation joins the same trace.
            var evaluation = Single(trace, s => s.Name == "evaluation.federated", tree);
            Assert.True(trace.Any(s => s.Name == "worker.evaluate" && s.ParentId == evaluation.SpanId), tree);
        }

        Assert.Equal(["worker-1", "worker-2"], spans.Where(s => s.Name == "worker.round").Select(s => s.Instance).Distinct().Order(StringComparer.Ordinal));

        var metrics = await WaitForAsync(
            receiver.MetricsReceived,
            m => m.Any(x => x.Metric.Name == "fedtrain.rounds.completed") && m.Count(x => x.Metric.Name == "fedtrain.worker.train.duration") >= 2,
            TimeSpan.FromSeconds(15));
        Assert.All(receiver.Metrics, m => Assert.Equal("http/protobuf", m.Protocol));
        var completed = metrics.Where(m => m.Metric.Name == "fedtrain.rounds.completed").Select(m => m.Metric).ToList();
        Assert.Contains(completed, m => m.Sum is { IsMonotonic: true } sum && sum.DataPoints.Any(p => p.AsInt == 2));
        Assert.All(metrics, m => Assert.Equal("integration-test", OtlpReceiver.Attribute(m.Resource, "deployment.environment")));
        Assert.Equal(
            ["worker-1", "worker-2"],
            metrics.Where(m => m.Metric.Name == "fedtrain.worker.train.duration").Select(m => OtlpReceiver.Attribute(m.Resource, "service.instance.id")).Distinct().Order(StringComparer.Ordinal));
        var coordinatorMetrics = metrics.Where(m => m.Service == "fedtrain-coordinator").Select(m => m.Metric.Name).ToHashSet();
        Assert.Contains("fedtrain.round.duration", coordinatorMetrics);
        Assert.Contains("fedtrain.fairness.gini", coordinatorMetrics);
    }

    /// <summary>Updates the run aggregated, all rounds together.</summary>
    private static int Accepted(string dir) => RunSummary.Rounds(RunSummary.Load(dir)).Sum(r => r.GetProperty("participants").GetInt32());

    private static ReceivedSpan Single(IEnumerable<ReceivedSpan> spans, Func<ReceivedSpan, bool> match, string tree)
    {
        var found = spans.Where(match).ToList();
        Assert.True(found.Count == 1, $"expected one matching span, found {found.Count}, in the trace:\n{tree}");
        return found[0];
    }

    /// <summary>The trace as an indented tree, for failure messages.</summary>
    private static string Tree(IReadOnlyList<ReceivedSpan> trace)
    {
        var builder = new System.Text.StringBuilder();
        void Write(string parent, int depth)
        {
            foreach (var span in trace.Where(s => s.ParentId == parent).OrderBy(s => s.Span.StartTimeUnixNano))
            {
                builder.Append(' ', depth * 2).Append(span.Name).Append(" [").Append(span.Service).Append(' ').Append(span.Instance).Append("]\n");
                Write(span.SpanId, depth + 1);
            }
        }

        var ids = trace.Select(s => s.SpanId).ToHashSet();
        foreach (var orphan in trace.Where(s => !ids.Contains(s.ParentId)).Select(s => s.ParentId).Distinct())
        {
            builder.Append("(parent ").Append(orphan).Append(")\n");
            Write(orphan, 1);
        }

        return builder.ToString();
    }

    private static async Task<T> WaitForAsync<T>(Func<T> read, Func<T, bool> done, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        var value = read();
        while (!done(value) && DateTime.UtcNow < until)
        {
            await Task.Delay(200);
            value = read();
        }

        return value;
    }

    private static async Task<(int ExitCode, string Output)> PromtoolCheckMetricsAsync(string exposition)
    {
        const string promtool = "/usr/bin/promtool";
        Assert.True(File.Exists(promtool), "promtool is missing: run scripts/ensure-deps.sh --tests (Debian package prometheus).");
        var start = new ProcessStartInfo(promtool, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"live page http://127\.0\.0\.1:(\d+)/")]
    private static partial Regex HttpPort();

    [GeneratedRegex(@"^dotnet_(assembly|process_cpu|thread_pool_thread|timer)_count non-histogram and non-summary metrics should not have ""_count"" suffix$")]
    private static partial Regex RuntimeCountLint();
}
