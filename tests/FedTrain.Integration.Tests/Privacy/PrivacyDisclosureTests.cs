using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests.Privacy;

/// <summary>
/// A DP federation, with every output the coordinator has collected while it runs and after: summary.json, the run
/// folder, every /api route and the page, its logs and console, what an OTLP receiver gets, /metrics. None may name a
/// client, show a per-client figure or an exact cohort or count; the ε it reports must equal an independent
/// composition of its releases (the model and the fairness histogram, every round).
/// </summary>
public sealed partial class PrivacyDisclosureTests
{
    private const double SamplingRate = 0.3, NoiseMultiplier = 1.0, EvaluationNoise = 4.0, Delta = 1e-5;
    private const int Clients = 40, Rounds = 3;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    // Instruments whose exact values would disclose the cohort: never fed under DP.
    private static readonly string[] WithheldInstruments =
    [
        "fedtrain.round.selected", "fedtrain.round.participants", "fedtrain.round.stragglers", "fedtrain.round.dropouts",
        "fedtrain.model.transfer", "fedtrain.updates.accepted", "fedtrain.updates.rejected", "fedtrain.aggregation.throughput",
        "fedtrain.client.step.duration",
    ];

    [Fact]
    public async Task A_dp_run_publishes_nothing_noise_free_about_a_client_and_its_epsilon_is_the_composition_of_its_releases()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var environment = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.HttpEndpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "500",
            ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "30000",
        };
        string dir = RepoPaths.NewRunDirectory("dp-disclosure");
        using var demo = CliProcess.Start(
            environment,
            "demo", "--workers", "2", "--clients", Clients.ToString(CultureInfo.InvariantCulture), "--partition", "iid", "--rounds", Rounds.ToString(CultureInfo.InvariantCulture),
            "--out", dir, "--seed", "5", "--sampling-rate", "0.3", "--noise-multiplier", "1", "--clip-norm", "1", "--target-epsilon", "100",
            "--delta", "1e-5", "--fraction-evaluate", "1", "--train-limit", "2000", "--test-limit", "200", "--local-steps", "2",
            "--conv", "4,8", "--hidden", "16");

        // The HTTP API, read while rounds run (the current round's view) and between them.
        var published = new StringBuilder();
        await demo.WaitForOutputAsync("live page", RunTimeout);
        int port = int.Parse(HttpPort().Match(demo.Output).Groups[1].Value, CultureInfo.InvariantCulture);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Bearer", (await File.ReadAllTextAsync(Path.Combine(dir, "operator.token"))).Trim());
        string[] routes = ["api/rounds", "api/workers", "api/clients", "api/status", "metrics", "", "healthz"];
        await demo.WaitForOutputAsync("round 2: training", RunTimeout);
        var during = await ReadAllAsync(http, routes);
        published.Append(string.Concat(during.Values));
        await demo.WaitForOutputAsync("round   2", RunTimeout);
        var between = await ReadAllAsync(http, [.. routes, "api/clients?round=1", "api/clients?round=2"]);
        published.Append(string.Concat(between.Values));
        Assert.True(await demo.WaitForExitAsync(RunTimeout) == 0, demo.Output);

        // The HTTP documents: counts null, per-client lists empty, workers without example counts or round activity.
        using (var rounds = JsonDocument.Parse(between["api/rounds"]))
        {
            Assert.All(rounds.RootElement.GetProperty("rounds").EnumerateArray(), r =>
            {
                Assert.Equal(JsonValueKind.Null, r.GetProperty("participants").ValueKind);
                Assert.Equal(JsonValueKind.Null, r.GetProperty("selected").ValueKind);
            });
        }

        using (var current = JsonDocument.Parse(during["api/rounds"]))
        {
            if (current.RootElement.GetProperty("current_round") is { ValueKind: JsonValueKind.Object } round)
            {
                Assert.Equal(JsonValueKind.Null, round.GetProperty("selected").ValueKind);
                Assert.Equal(JsonValueKind.Null, round.GetProperty("accepted").ValueKind);
            }
        }

        foreach (var document in new[] { during, between })
        {
            using var workers = JsonDocument.Parse(document["api/workers"]);
            Assert.All(workers.RootElement.GetProperty("workers").EnumerateArray(), w =>
            {
                Assert.Equal(JsonValueKind.Null, w.GetProperty("examples").ValueKind);
                Assert.Contains(w.GetProperty("state").GetString(), new[] { "live", "gone" });
            });
            using var status = JsonDocument.Parse(document["api/status"]);
            Assert.Equal(JsonValueKind.Null, status.RootElement.GetProperty("quarantined_workers").ValueKind);
            if (status.RootElement.GetProperty("current_round") is { ValueKind: JsonValueKind.Object } statusRound)
            {
                Assert.Equal(JsonValueKind.Null, statusRound.GetProperty("selected").ValueKind);
                Assert.Equal(JsonValueKind.Null, statusRound.GetProperty("pending").ValueKind);
            }
        }

        using (var clients = JsonDocument.Parse(between["api/clients?round=1"]))
        {
            Assert.Empty(clients.RootElement.GetProperty("clients").EnumerateArray());
            Assert.Equal(EvaluationNoise, clients.RootElement.GetProperty("fairness").GetProperty("noise_standard_deviation").GetDouble());
        }

        // The run folder: summary.json without counts or client lists, no per-client table.
        Assert.False(File.Exists(Path.Combine(dir, "clients.csv")), "clients.csv is a per-client table");
        string summaryText = await File.ReadAllTextAsync(Path.Combine(dir, "summary.json"));
        published.Append(summaryText);
        var summary = RunSummary.Load(dir);
        var roundRecords = RunSummary.Rounds(summary);
        Assert.Equal(Rounds, roundRecords.Length);
        foreach (var round in roundRecords)
        {
            foreach (string withheld in new[] { "participants", "selected", "clients", "failures", "upload_bytes" })
            {
                Assert.Equal(JsonValueKind.Null, round.GetProperty(withheld).ValueKind);
            }

            var fairness = round.GetProperty("fairness");
            Assert.Equal(EvaluationNoise, fairness.GetProperty("noise_std").GetDouble());
            Assert.Equal(20, fairness.GetProperty("noisy_histogram").GetArrayLength());
        }

        // One model release and one fairness release per round, no retried attempt.
        var releases = summary.GetProperty("privacy").GetProperty("releases");
        Assert.Equal(Rounds, releases.GetProperty("model").GetInt32());
        Assert.Equal(Rounds, releases.GetProperty("fairness_histogram").GetInt32());
        Assert.Equal(Clients, summary.GetProperty("privacy").GetProperty("population").GetInt32());

        // ε after each round: every release so far, composed by an accountant written from the definitions.
        for (int r = 1; r <= Rounds; r++)
        {
            var composed = Enumerable.Repeat((SamplingRate, NoiseMultiplier), r).Concat(Enumerable.Repeat((SamplingRate, EvaluationNoise), r));
            double expected = IndependentRdp.Epsilon(composed, Delta);
            double reported = roundRecords[r - 1].GetProperty("epsilon").GetDouble();
            Assert.True(Math.Abs(reported - expected) <= 1e-6 * expected, $"round {r}: reported epsilon {reported}, independently {expected}");
        }

        Assert.Equal(roundRecords[^1].GetProperty("epsilon").GetDouble(), summary.GetProperty("privacy").GetProperty("spent_epsilon").GetDouble());

        // The logs and the console.
        published.Append(await File.ReadAllTextAsync(Path.Combine(dir, "logs", "coordinator.log")));
        published.Append(demo.Output);

        // What the OTLP receiver got from the coordinator (the workers' own telemetry is theirs to send).
        var spans = receiver.Spans().Where(s => s.Service == "fedtrain-coordinator").ToList();
        Assert.Contains(spans, s => s.Name == "round");
        Assert.DoesNotContain(spans, s => s.Name.StartsWith("fedtrain.v1.Coordinator/", StringComparison.Ordinal));
        Assert.DoesNotContain(spans, s => s.Span.Attributes.Any(a => a.Key == "url.path" && a.Value.StringValue.StartsWith("/fedtrain.v1.", StringComparison.Ordinal)));
        Assert.DoesNotContain(spans, s => s.Span.Attributes.Any(a => a.Key is "fedtrain.clients.selected" or "fedtrain.updates"));
        published.AppendJoin('\n', spans.Select(s => s.Span.ToString()));
        var metrics = receiver.MetricsReceived().Where(m => m.Service == "fedtrain-coordinator").ToList();
        Assert.Contains(metrics, m => m.Metric.Name == "fedtrain.fairness.gini");
        Assert.DoesNotContain(metrics, m => WithheldInstruments.Contains(m.Metric.Name));
        published.AppendJoin('\n', metrics.Select(m => m.Metric.ToString()));

        // Prometheus: the withheld instruments have no samples.
        foreach (string name in WithheldInstruments)
        {
            string prometheus = name.Replace('.', '_');
            Assert.DoesNotMatch($"(?m)^{prometheus}(_total|_bytes|_ratio|_seconds|_bucket)?[{{ ]", between["metrics"]);
        }

        // ASP.NET Core's request metrics leave out the gRPC port (HTTP/2; the HTTP port is HTTP/1.1): a count of its
        // requests would count the uploads.
        Assert.DoesNotMatch(@"(?m)^http_server_request_duration_seconds_count\{[^}]*network_protocol_version=""2""", between["metrics"]);
        Assert.DoesNotMatch(@"(?m)^(http_server_active_requests|aspnetcore_routing_match_attempts)", between["metrics"]);

        // Across everything: no client id and no per-client figure.
        string all = published.ToString();
        Assert.DoesNotMatch(ClientId(), all);
        foreach (string marker in new[] { "accepted update", "rejected update", "holdout_accuracy", "train_loss", "\"client_id\"", "participants 1", "training 1" })
        {
            Assert.DoesNotContain(marker, all, StringComparison.Ordinal);
        }
    }

    private static async Task<Dictionary<string, string>> ReadAllAsync(HttpClient http, IEnumerable<string> routes)
    {
        var bodies = new Dictionary<string, string>();
        foreach (string route in routes)
        {
            using var response = await http.GetAsync(new Uri(route, UriKind.Relative));
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{route}: {(int)response.StatusCode} {body}");
            bodies[route] = body;
        }

        return bodies;
    }

    [GeneratedRegex(@"live page http://127\.0\.0\.1:(\d+)/")]
    private static partial Regex HttpPort();

    [GeneratedRegex(@"client-\d{5}")]
    private static partial Regex ClientId();
}
