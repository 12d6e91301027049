using System.Globalization;
using System.Text.RegularExpressions;
using FedTrain.Coordinator.Storage;
using FedTrain.Integration.Tests.Support;
using FedTrain.Protos.Transport;
using FedTrain.Protos.V1;
using FedTrain.TestSupport;
using FedTrain.Worker.Security;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace FedTrain.Integration.Tests.Cluster;

/// <summary>
/// Three coordinator processes on a real PostgreSQL, each with an intake port, and four worker processes: the leading
/// node deals each round's uploads over itself and the other two nodes, which check and keep the updates in the shared
/// spool, have the leader count them, and (FedAvg) sum them; at each round's close the leader folds each node's
/// partial sum. One node is armed to die (SIGKILL) when the leader asks for its round-2 sum, after it acknowledged
/// updates of that round: the leader reads that node's updates from the shared spool instead, and the run completes
/// with every acknowledged update counted once. Under DP, over TLS with worker credentials, the nodes authenticate
/// every upload as the leader does, clip and sum what they receive, name no client in their logs, and ε is exactly what
/// the ledger's releases give.
/// </summary>
[Collection(Faults.FaultRun.Collection)]
public sealed partial class SpreadIntakeTests(ITestOutputHelper output) : IRequiresPostgres
{
    private const int WorkerCount = 4, Rounds = 3, ClientsPerWorker = 4;
    private const double SamplingRate = 0.5, NoiseMultiplier = 0.1, Delta = 1e-5;
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(4);

    [BackendFact]
    public async Task Uploads_are_spread_over_the_nodes_and_summed_there_and_a_node_dying_with_its_sum_loses_no_acknowledged_update()
    {
        await using var federation = await IntakeFederation.StartAsync("cluster-intake", privacy: false, secure: false, dyingNodeFault: "seal:2");
        var (leader, dying, surviving) = (federation.Nodes[0], federation.Nodes[1], federation.Nodes[2]);
        // The intake port serves UploadUpdate alone.
        using (var channel = GrpcChannel.ForAddress(IntakeAddress(surviving)))
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(
                FedTrain.Protos.CoordinatorMethods.Register, new RegisterRequest { WorkerId = "worker-1" }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(20))));
            Assert.Equal(StatusCode.Unimplemented, refused.StatusCode);
        }

        // A standby node's own /metrics counts what it received for the leader, under the leader's instrument names.
        await surviving.WaitForOutputAsync("examples, for the leading node", Generous);
        Assert.True(await CountedAsync(surviving, StandbyMetricsPort(), AcceptedUpdates()), "the standby node's /metrics shows no accepted update");
        // The leader's /metrics shows the partial sums it read of the other nodes' shares once round 1 committed.
        await leader.WaitForOutputAsync("Round 1 committed", Generous);
        Assert.True(await CountedAsync(leader, LeaderHttpPort(), PartialSumBytes()), "the leader's /metrics shows no partial sum read");
        // The standby nodes serve each round's model to the workers sent to them: round 1's from the leader's copy of
        // the initial model, later rounds' from their committed checkpoints (checked below, from the workers' logs).
        Assert.True(await CountedAsync(surviving, StandbyMetricsPort(), ModelBytesDown()), "the standby node served no model");
        Assert.Equal(0, await leader.WaitForExitAsync(Generous));
        Assert.Equal(0, await surviving.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.True(dying.HasExited);
        Assert.Contains("fault injected: seal of round 2", dying.Output, StringComparison.Ordinal);
        // A standby node's death does not move the run: no other node led before the leader finished.
        LedThroughout(leader, [dying, surviving]);

        // Each standby node received uploads for the leader, and the leader folded a node's sum in place of its updates.
        var receivedByDying = Received().Matches(dying.Output).Select(m => (Round: long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), Client: m.Groups[1].Value)).ToList();
        Assert.NotEmpty(Received().Matches(surviving.Output));
        Assert.Contains(receivedByDying, r => r.Round == 2);
        // Workers were sent to nodes in round 1, and every worker downloaded each round's model from the node it was
        // sent to: none had to fetch it from the leader. The surviving node took every upload sent to it (the dying one
        // may not have: an upload still in flight when it died goes to the leader). The dying node, which the leader
        // heard fail, was dealt no worker in round 3.
        string workers = string.Concat(federation.Workers.Select(w => w.Output));
        string survivingIntake = IntakeAddress(surviving).ToString().TrimEnd('/');
        Assert.Matches(@"Round 1, \S+: uploading to node http://127\.0\.0\.1:", workers);
        Assert.DoesNotContain("did not serve the model", workers, StringComparison.Ordinal);
        Assert.DoesNotContain($"Node {survivingIntake} unreachable", workers, StringComparison.Ordinal);
        Assert.DoesNotContain($"Node {survivingIntake} not used", workers, StringComparison.Ordinal);
        Assert.DoesNotContain(IntakeAddress(dying).ToString().TrimEnd('/'), string.Join('\n', workers.Split('\n').Where(l => l.Contains("Round 3", StringComparison.Ordinal))), StringComparison.Ordinal);
        Assert.Matches(@"Round 1: folded node \S+ pid \d+'s partial sum of \d+ updates", leader.Output);
        Assert.Contains($"Round 2: no partial sum from node {Environment.MachineName} pid {dying.Id}", leader.Output, StringComparison.Ordinal);

        var (store, run, rounds) = await federation.FinishedAsync();
        using (store)
        {
            foreach (var round in rounds)
            {
                var clients = round.Participants.Select(p => p.ClientId).ToList();
                Assert.Equal(clients.Distinct().Count(), clients.Count);
                // Every update the dying node acknowledged is counted, once, in its round.
                Assert.All(receivedByDying.Where(r => r.Round == round.Round), r => Assert.Contains(r.Client, clients));
            }
        }

        output.WriteLine(string.Join('\n', leader.Output.Split('\n').Where(l => l.Contains("partial sum", StringComparison.Ordinal))));
    }

    [BackendFact]
    public async Task Under_DP_over_TLS_with_worker_credentials_the_nodes_authenticate_uploads_name_no_client_and_keep_epsilon_exact()
    {
        await using var federation = await IntakeFederation.StartAsync("cluster-intake-dp", privacy: true, secure: true, dyingNodeFault: null);
        var nodes = federation.Nodes;
        // A call without a worker credential is refused at the intake port's gate, before any message is read.
        using (var handler = WorkerTls.CreateHandler(new WorkerSecurityOptions { CaFile = federation.CaFile }))
        using (var channel = GrpcChannel.ForAddress(IntakeAddress(nodes[1]), new GrpcChannelOptions { HttpHandler = handler }))
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(
                FedTrain.Protos.CoordinatorMethods.Heartbeat, new HeartbeatRequest { WorkerId = "worker-1" }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(20))));
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        }

        Assert.Equal(0, await nodes[0].WaitForExitAsync(Generous));
        Assert.Equal(0, await nodes[1].WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, await nodes[2].WaitForExitAsync(TimeSpan.FromSeconds(60)));

        // Workers were sent to the other nodes' intake ports (https, authenticated with their credentials) and heard
        // their updates acknowledged there.
        string[] intake = [.. nodes.Skip(1).Select(n => IntakeAddress(n).ToString().TrimEnd('/'))];
        Assert.All(intake, e => Assert.StartsWith("https://127.0.0.1:", e, StringComparison.Ordinal));
        string workers = string.Concat(federation.Workers.Select(w => w.Output));
        Assert.Contains(intake, e => workers.Contains($"uploading to node {e}", StringComparison.Ordinal));
        Assert.DoesNotContain("not used", workers, StringComparison.Ordinal);
        // Under DP a node names no worker or client: not one id appears in the standby nodes' logs.
        foreach (var node in nodes.Skip(1))
        {
            Assert.DoesNotContain("worker-", node.Output, StringComparison.Ordinal);
        }

        // Under DP the leader does not say which node had a sum (Debug only): that would say a sampled client was there.
        Assert.DoesNotContain("partial sum of", nodes[0].Output, StringComparison.Ordinal);
        var (store, run, rounds) = await federation.FinishedAsync();
        using (store)
        {
            // The nodes clipped and summed what they received; the leader added their sums and noised once per round.
            var releases = await store.LoadPrivacyReleasesAsync(run.RunId);
            Assert.Equal(Rounds, releases.Count);
            Assert.Equal(NoiseCalibrationEpsilon(releases.Count), rounds[^1].Epsilon!.Value, 12);
        }
    }

    /// <summary>
    /// Whether the node's <c>/metrics</c> (its HTTP port as <paramref name="port"/> finds it in its log) has a positive
    /// <paramref name="series"/>; polled briefly, since a counter follows the log line it is waited for by.
    /// </summary>
    private static async Task<bool> CountedAsync(CliProcess node, Regex port, Regex series, TimeSpan? within = null)
    {
        int httpPort = int.Parse(port.Match(node.Output).Groups[1].Value, CultureInfo.InvariantCulture);
        using var http = new HttpClient();
        var until = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(5));
        while (DateTime.UtcNow < until)
        {
            string metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/metrics"));
            var value = series.Match(metrics);
            if (value.Success && double.Parse(value.Groups[1].Value, CultureInfo.InvariantCulture) > 0)
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    /// <summary>
    /// Asserts that <paramref name="leader"/> led the run to its end and that none of <paramref name="others"/> started
    /// leading before that (a second activation of the run grain would have: it takes the lease from a working leader).
    /// Times are the logs' whole seconds, so a node that leads in the second the leader finishes is not caught; a run
    /// takes well under twelve hours, so a time more than twelve hours before (after) the finish is of the next (the
    /// previous) day.
    /// </summary>
    private static void LedThroughout(CliProcess leader, IEnumerable<CliProcess> others)
    {
        var finished = LogTime().Match(leader.Output.Split('\n').Single(l => l.Contains("finished: all rounds completed", StringComparison.Ordinal)));
        Assert.True(finished.Success, "the leader's log does not say when it finished");
        var end = TimeSpan.Parse(finished.Value, CultureInfo.InvariantCulture);
        foreach (var node in others)
        {
            foreach (string line in node.Output.Split('\n').Where(l => l.Contains("leads the run: starting the coordinator here", StringComparison.Ordinal)))
            {
                var led = TimeSpan.Parse(LogTime().Match(line).Value, CultureInfo.InvariantCulture);
                if (end - led > TimeSpan.FromHours(12))
                {
                    led += TimeSpan.FromDays(1);
                }
                else if (led - end > TimeSpan.FromHours(12))
                {
                    led -= TimeSpan.FromDays(1);
                }

                Assert.True(led >= end, $"a standby node led while the leader still did: {line}");
            }
        }
    }

    /// <summary>Where the node says it receives uploads for the leader.</summary>
    private static Uri IntakeAddress(CliProcess node) => new(IntakeOpen().Match(node.Output).Groups[1].Value);

    private static double NoiseCalibrationEpsilon(int releases) => FedTrain.Privacy.NoiseCalibration.Epsilon(SamplingRate, NoiseMultiplier, releases, Delta);

    [GeneratedRegex(@"Received (\S+)'s update \(worker \S+\) for round (\d+)")]
    private static partial Regex Received();

    [GeneratedRegex(@"Receiving uploads for the leading node at (\S+)")]
    private static partial Regex IntakeOpen();

    [GeneratedRegex(@"^\d\d:\d\d:\d\d")]
    private static partial Regex LogTime();

    [GeneratedRegex(@"Standing by: metrics on HTTP port (\d+)")]
    private static partial Regex StandbyMetricsPort();

    [GeneratedRegex(@"(?m)^fedtrain_updates_accepted_total(?:\{[^}]*\})? (\S+)")]
    private static partial Regex AcceptedUpdates();

    [GeneratedRegex(@"(?m)^fedtrain_model_transfer_bytes_total\{[^}]*direction=""down""[^}]*\} (\S+)")]
    private static partial Regex ModelBytesDown();

    [GeneratedRegex(@"Coordinator listening: gRPC \S+, HTTP [^:]+:(\d+);")]
    private static partial Regex LeaderHttpPort();

    [GeneratedRegex(@"(?m)^fedtrain_cluster_transfer_bytes_total\{[^}]*kind=""partial_sum""[^}]*\} (\S+)")]
    private static partial Regex PartialSumBytes();

    /// <summary>The three nodes (the first leads) and four workers of one run; disposing it saves their logs in the run directory.</summary>
    private sealed class IntakeFederation : IAsyncDisposable
    {
        private readonly string _directory;
        private readonly string _database;

        private IntakeFederation(string directory, string database)
        {
            _directory = directory;
            _database = database;
        }

        public List<CliProcess> Nodes { get; } = [];

        public List<CliProcess> Workers { get; } = [];

        /// <summary>The CA of the nodes' server certificates (with <c>secure</c>).</summary>
        public string CaFile => Path.Combine(_directory, "certs", "ca.crt");

        public static async Task<IntakeFederation> StartAsync(string name, bool privacy, bool secure, string? dyingNodeFault)
        {
            var server = PostgresServer.Require();
            var federation = new IntakeFederation(RepoPaths.NewRunDirectory(name), server.Url(server.CreateDatabase("intake")));
            try
            {
                await federation.StartNodesAndWorkersAsync(privacy, secure, dyingNodeFault);
                return federation;
            }
            catch
            {
                await federation.DisposeAsync();
                throw;
            }
        }

        /// <summary>The finished run's store, run and rounds: rounds 1 to 3, committed once each, their checkpoints chained.</summary>
        public async Task<(ICoordinatorStore Store, RunRecord Run, IReadOnlyList<Coordinator.Rounds.RoundResult> Rounds)> FinishedAsync()
        {
            var store = CoordinatorStoreFactory.Open(_database, _directory);
            var run = (await store.LoadRunAsync())!;
            Assert.Equal("finished", run.Status);
            var rounds = await store.LoadRoundsAsync(run.RunId);
            Assert.Equal([1L, 2L, 3L], rounds.Select(r => r.Round));
            string? parent = null;
            foreach (var round in rounds)
            {
                var checkpoint = CheckpointFile.Read(round.CheckpointPath);
                Assert.True(parent is null || parent == checkpoint.Metadata["parent_sha256"], $"round {round.Round} does not chain to round {round.Round - 1}");
                parent = checkpoint.Metadata["sha256"];
            }

            return (store, run, rounds);
        }

        public async ValueTask DisposeAsync()
        {
            string logs = Path.Combine(_directory, "logs");
            Directory.CreateDirectory(logs);
            foreach (var (process, name) in Nodes.Select((n, i) => (n, $"node-{i + 1}")).Concat(Workers.Select((w, i) => (w, $"worker-{i + 1}"))))
            {
                process.Dispose();
                await File.WriteAllTextAsync(Path.Combine(logs, name + ".log"), process.Output);
            }
        }

        private async Task StartNodesAndWorkersAsync(bool privacy, bool secure, string? dyingNodeFault)
        {
            string config = Path.Combine(_directory, "coordinator.json");
            // Under DP there is no quorum: every round is one release whatever the number of updates.
            await File.WriteAllTextAsync(config, $$"""
                { "heartbeat_interval_seconds": 1, "worker_timeout_seconds": 8, "round_timeout_seconds": 120,
                  "fraction_evaluate": 0, "test_limit": 200, "min_fit_clients": 4{{(privacy ? "" : ", \"quorum_fraction\": 0.5")}} }
                """);
            string population = (WorkerCount * ClientsPerWorker).ToString(CultureInfo.InvariantCulture);
            string[] dp = privacy
                ? ["--noise-multiplier", "0.1", "--sampling-rate", "0.5", "--clip-norm", "0.1", "--target-epsilon", "1000", "--delta", "1e-5", "--population-size", population]
                : [];
            string certificates = Path.Combine(_directory, "certs");
            string[] security = ["--insecure-no-auth"];
            IReadOnlyDictionary<string, string[]>? credentials = null;
            if (secure)
            {
                using var generate = CliProcess.Start("certs", "dev", "--out", certificates);
                Assert.Equal(0, await generate.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                security = ["--tls-cert", Path.Combine(certificates, "server.crt"), "--tls-key", Path.Combine(certificates, "server.key")];
                // Under DP each worker speaks for its share of the population (client-00000 ...).
                var grant = privacy ? Coordinator.Security.ClientGrant.WithPrefix("client-", ClientsPerWorker) : null;
                credentials = await WorkerEnrolment.PrepareInAsync(_database, _directory, grant, [.. Enumerable.Range(1, WorkerCount).Select(i => $"worker-{i}")]);
            }

            int[] grpcPorts = [.. Enumerable.Range(0, 3).Select(_ => FederationTests.FreePort())];
            CliProcess StartNode(int i, params string[] environment) => CliProcess.Start(environment, [
                "coordinator", "--config", config, "--grpc-port", grpcPorts[i].ToString(CultureInfo.InvariantCulture), "--http-port", "0",
                "--bind", "127.0.0.1", "--run-dir", _directory, "--rounds", Rounds.ToString(CultureInfo.InvariantCulture),
                "--min-workers", WorkerCount.ToString(CultureInfo.InvariantCulture), "--local-steps", "20", "--batch-size", "32",
                "--database", _database, "--cluster", _database, "--cluster-id", "intake-test",
                "--silo-port", FederationTests.FreePort().ToString(CultureInfo.InvariantCulture), "--intake-port", "0", .. security, .. dp]);

            // The first node leads (it is alone when it activates the run grain); the other two join as standby nodes
            // that receive uploads. The second may be armed to die at a given point.
            Nodes.Add(StartNode(0));
            await Nodes[0].WaitForOutputAsync("Coordinator listening", TimeSpan.FromSeconds(90));
            Nodes.Add(dyingNodeFault is null ? StartNode(1) : StartNode(1, $"FEDTRAIN_FAULT={dyingNodeFault}"));
            Nodes.Add(StartNode(2));
            foreach (var standby in Nodes.Skip(1))
            {
                await standby.WaitForOutputAsync("Receiving uploads for the leading node at http", TimeSpan.FromSeconds(90));
            }

            string scheme = secure ? "https" : "http";
            string addresses = string.Join(',', grpcPorts.Select(p => $"{scheme}://127.0.0.1:{p}"));
            for (int i = 0; i < WorkerCount; i++)
            {
                string id = $"worker-{i + 1}";
                string[] trust = secure ? ["--ca", Path.Combine(certificates, "ca.crt"), .. credentials![id]] : [];
                string[] clients = privacy ? ["--population", population] : [];
                Workers.Add(CliProcess.Start([
                    "worker", "--coordinator", addresses, "--worker-id", id, "--shard", $"{i}/{WorkerCount}",
                    "--partition", "iid", "--train-limit", "600", "--threads", "1", .. trust, .. clients]));
            }
        }
    }
}
