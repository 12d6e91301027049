using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using FedTrain.Coordinator.Storage;
using FedTrain.Integration.Tests.Support;
using FedTrain.TestSupport;
using Xunit.Abstractions;

namespace FedTrain.Integration.Tests.Cluster;

/// <summary>
/// Three coordinator processes form one cluster on a real PostgreSQL (Orleans membership, the run's state, one run
/// directory as the shared storage), four worker processes are given all three addresses. The node that leads the
/// run is killed with SIGKILL just after a worker heard its update of round 2 acknowledged: another node takes the
/// run over from the database, the workers find it by themselves, and the run completes with its rounds contiguous,
/// its checkpoints chained, and the acknowledged update counted once; under DP, with ε exactly what the ledger's
/// releases give.
/// </summary>
[Collection(Faults.FaultRun.Collection)]
public sealed partial class NodeLossTests(ITestOutputHelper output) : IRequiresPostgres
{
    private const int Nodes = 3, Workers = 4, Rounds = 3, ClientsPerWorker = 4;
    // Noise small enough that the tiny run does not diverge (the test is about the ledger, not the model).
    private const double SamplingRate = 0.5, NoiseMultiplier = 0.1, Delta = 1e-5;
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(4);

    [BackendFact]
    public Task Killing_the_leading_node_mid_round_moves_the_run_to_a_survivor_without_losing_an_acknowledged_update() =>
        KillTheLeaderAsync(privacy: false);

    /// <summary>Also with mutual TLS between the nodes: the keep-alive and the failover cross TLS connections.</summary>
    [BackendFact]
    public Task Under_DP_with_TLS_between_the_nodes_a_failover_mid_round_keeps_epsilon_exactly_what_the_ledger_gives() =>
        KillTheLeaderAsync(privacy: true, tls: true);

    private async Task KillTheLeaderAsync(bool privacy, bool tls = false)
    {
        var server = PostgresServer.Require();
        string database = server.Url(server.CreateDatabase("cluster"));
        string directory = RepoPaths.NewRunDirectory(privacy ? "cluster-kill-dp" : "cluster-kill");
        string config = Path.Combine(directory, "coordinator.json");
        // Under DP there is no quorum: every round is one release whatever the number of updates.
        await File.WriteAllTextAsync(config, $$"""
            { "heartbeat_interval_seconds": 1, "worker_timeout_seconds": 8, "round_timeout_seconds": 120,
              "fraction_evaluate": 0, "test_limit": 200, "min_fit_clients": 4{{(privacy ? "" : ", \"quorum_fraction\": 0.5")}} }
            """);
        string[] dp = privacy
            ? ["--noise-multiplier", "0.1", "--sampling-rate", "0.5", "--clip-norm", "0.1", "--target-epsilon", "1000", "--delta", "1e-5",
                "--population-size", (Workers * ClientsPerWorker).ToString(CultureInfo.InvariantCulture)]
            : [];
        int[] grpcPorts = [.. Enumerable.Range(0, Nodes).Select(_ => FederationTests.FreePort())];
        int[] siloPorts = [.. Enumerable.Range(0, Nodes).Select(_ => FederationTests.FreePort())];
        string certificates = Path.Combine(directory, "certs");
        if (tls)
        {
            using var generate = CliProcess.Start("certs", "dev", "--out", certificates);
            Assert.Equal(0, await generate.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }

        string[] siloTls = tls
            ? ["--silo-tls-cert", Path.Combine(certificates, "node.crt"), "--silo-tls-key", Path.Combine(certificates, "node.key"),
                "--silo-tls-ca", Path.Combine(certificates, "ca.crt")]
            : [];
        var nodes = new List<CliProcess>();
        var workers = new List<CliProcess>();
        try
        {
            for (int i = 0; i < Nodes; i++)
            {
                nodes.Add(CliProcess.Start([
                    "coordinator", "--config", config, "--grpc-port", grpcPorts[i].ToString(CultureInfo.InvariantCulture), "--http-port", "0",
                    "--bind", "127.0.0.1", "--run-dir", directory, "--rounds", Rounds.ToString(CultureInfo.InvariantCulture),
                    "--min-workers", Workers.ToString(CultureInfo.InvariantCulture), "--insecure-no-auth",
                    "--local-steps", "30", "--batch-size", "32",
                    "--database", database, "--cluster", database, "--cluster-id", "kill-test",
                    "--silo-port", siloPorts[i].ToString(CultureInfo.InvariantCulture), .. dp, .. siloTls]));
            }

            string addresses = string.Join(',', grpcPorts.Select(p => $"http://127.0.0.1:{p}"));
            for (int i = 0; i < Workers; i++)
            {
                string[] population = privacy ? ["--population", (Workers * ClientsPerWorker).ToString(CultureInfo.InvariantCulture)] : [];
                workers.Add(CliProcess.Start([
                    "worker", "--coordinator", addresses, "--worker-id", $"worker-{i + 1}", "--shard", $"{i}/{Workers}",
                    "--partition", "iid", "--train-limit", "800", "--threads", "1", .. population]));
            }

            // Nodes starting together can both activate the run grain before their membership converges; the run's
            // lease stops all but the last to take it (exit code 3). Once a worker's round-2 update is acknowledged,
            // one node leads; the others stand by with no worker-facing port.
            // Under DP the coordinator logs no client's update; the worker says when its update was acknowledged.
            string acknowledged = await FirstAcknowledgedAsync(workers, round: 2, Generous);
            var leader = await OneLeaderAsync(nodes, TimeSpan.FromSeconds(30));
            Assert.All(nodes.Where(n => n != leader && n.HasExited), n => Assert.Equal(3, n.ExitCode));
            if (tls)
            {
                // The silo port speaks TLS with the node certificate; the standby nodes reached the run grain through it.
                var presented = await SiloCertificateAsync(siloPorts[nodes.IndexOf(leader)]);
                Assert.Equal(X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(certificates, "node.crt"))).Thumbprint, presented?.Thumbprint);
                foreach (var standby in nodes.Where(n => n != leader))
                {
                    await standby.WaitForOutputAsync($"The run is led by {Environment.MachineName} pid {leader.Id}", TimeSpan.FromSeconds(60));
                }
            }

            leader.Signal("KILL");
            var killed = Stopwatch.StartNew();

            var survivors = nodes.Where(n => n != leader && !n.HasExited).ToList();
            var successor = await OneLeaderAsync(survivors, TimeSpan.FromSeconds(60));
            var listening = killed.Elapsed;
            await AssertClusterViewAsync(successor, leader, survivors);
            if (privacy)
            {
                // Under DP the coordinator logs no worker's registration or update.
                output.WriteLine(FormattableString.Invariant($"kill -9 of the leading node (DP run): the successor listened after {listening.TotalSeconds:F1} s"));
            }
            else
            {
                await successor.WaitForOutputAsync("registered with", Generous);
                var firstWorker = killed.Elapsed;
                await successor.WaitForOutputAsync("accepted update for client", Generous);
                var firstUpload = killed.Elapsed;
                output.WriteLine(FormattableString.Invariant(
                    $"kill -9 of the leading node: the successor listened after {listening.TotalSeconds:F1} s, a worker registered with it after {firstWorker.TotalSeconds:F1} s, and it accepted an upload (trained after the failover) after {firstUpload.TotalSeconds:F1} s"));
            }

            Assert.Equal(0, await successor.WaitForExitAsync(Generous));
            foreach (var standby in survivors.Where(n => n != successor))
            {
                Assert.Equal(0, await standby.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains("The run finished on another node", standby.Output, StringComparison.Ordinal);
            }

            using var store = CoordinatorStoreFactory.Open(database, directory);
            var run = (await store.LoadRunAsync())!;
            Assert.Equal("finished", run.Status);
            var rounds = await store.LoadRoundsAsync(run.RunId);
            Assert.Equal([1L, 2L, 3L], rounds.Select(r => r.Round));
            // The update the dead node acknowledged in round 2 was kept (spool file and journal on shared storage) and
            // counts once in the round the successor committed (under DP the store keeps no per-client rows: the
            // successor says it resumed the round with the kept updates instead).
            Assert.Contains("Round 2 resumes with", successor.Output, StringComparison.Ordinal);
            if (privacy)
            {
                // Every release in the ledger counts, the one a dead node recorded included: ε is what they give.
                var releases = await store.LoadPrivacyReleasesAsync(run.RunId);
                Assert.InRange(releases.Count, Rounds, Rounds + 1);
                double expected = FedTrain.Privacy.NoiseCalibration.Epsilon(SamplingRate, NoiseMultiplier, releases.Count, Delta);
                Assert.Equal(expected, rounds[^1].Epsilon!.Value, 12);
            }
            else
            {
                var round2 = rounds[1].Participants.Select(p => p.ClientId).ToList();
                Assert.Equal(round2.Distinct().Count(), round2.Count);
                Assert.Contains(acknowledged, round2);
            }

            string? parent = null;
            foreach (var round in rounds)
            {
                var checkpoint = CheckpointFile.Read(round.CheckpointPath);
                Assert.Equal(checkpoint.Metadata["sha256"], checkpoint.DataSha256);
                Assert.True(parent is null || parent == checkpoint.Metadata["parent_sha256"], $"round {round.Round} does not chain to round {round.Round - 1}");
                parent = checkpoint.Metadata["sha256"];
            }
        }
        finally
        {
            string logs = Path.Combine(directory, "logs");
            Directory.CreateDirectory(logs);
            foreach (var (process, name) in nodes.Select((n, i) => (n, $"node-{i + 1}")).Concat(workers.Select((w, i) => (w, $"worker-{i + 1}"))))
            {
                process.Dispose();
                await File.WriteAllTextAsync(Path.Combine(logs, name + ".log"), process.Output);
            }
        }
    }

    /// <summary>Waits until exactly one of <paramref name="nodes"/> says it listens for workers and has not stopped.</summary>
    private static async Task<CliProcess> OneLeaderAsync(IReadOnlyList<CliProcess> nodes, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        List<CliProcess> leading = [];
        while (DateTime.UtcNow < until)
        {
            // A node that lost the lease to another says so and exits; until then two may both say they listen.
            leading = [.. nodes.Where(n => !n.HasExited && n.Output.Contains("Coordinator listening", StringComparison.Ordinal)
                && !n.Output.Contains("stopped leading the run", StringComparison.Ordinal))];
            if (leading.Count == 1)
            {
                return leading[0];
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Not exactly one node led the run ({leading.Count} did):\n" + string.Join("\n---\n", nodes.Select(n => n.Output)));
    }

    /// <summary>
    /// The successor's <c>/api/cluster</c> (what the live page shows): it leads, the killed node is gone from the
    /// membership (it had to be declared dead for the run to move), and every node listed is one still running.
    /// </summary>
    private static async Task AssertClusterViewAsync(CliProcess successor, CliProcess killed, IReadOnlyList<CliProcess> survivors)
    {
        int httpPort = int.Parse(HttpPort().Match(successor.Output).Groups[1].Value, CultureInfo.InvariantCulture);
        using var http = new HttpClient();
        using var cluster = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/api/cluster")));
        var nodes = cluster.RootElement.GetProperty("nodes").EnumerateArray()
            .Select(n => (Name: n.GetProperty("name").GetString()!, Leads: n.GetProperty("leads").GetBoolean(), Status: n.GetProperty("status").GetString()))
            .ToList();
        Assert.Equal($"{Environment.MachineName} pid {successor.Id}", Assert.Single(nodes, n => n.Leads).Name);
        Assert.DoesNotContain(nodes, n => n.Name.EndsWith($" pid {killed.Id}", StringComparison.Ordinal));
        var running = survivors.Where(n => !n.HasExited).Select(n => $"{Environment.MachineName} pid {n.Id}").ToHashSet(StringComparer.Ordinal);
        Assert.All(nodes, n => Assert.Contains(n.Name, running));
    }

    /// <summary>The certificate a node's silo port presents to a TLS client (which has none to offer, so is then refused).</summary>
    private static async Task<X509Certificate2?> SiloCertificateAsync(int port)
    {
        X509Certificate2? presented = null;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            // Recorded, not trusted: the handshake is only asked what the port presents.
            presented = certificate is null ? null : new X509Certificate2(certificate);
            return presented is not null;
        });
        try
        {
            await tls.AuthenticateAsClientAsync("fedtrain-node").WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
        {
            // Refused for want of a client certificate: what was presented before that is the answer.
        }

        return presented;
    }

    /// <summary>Waits until a worker says the coordinator acknowledged its update of <paramref name="round"/>; returns the client.</summary>
    private static async Task<string> FirstAcknowledgedAsync(IReadOnlyList<CliProcess> workers, int round, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            foreach (var worker in workers)
            {
                if (Acknowledged().Matches(worker.Output).FirstOrDefault(m => m.Groups[1].Value == round.ToString(CultureInfo.InvariantCulture)) is { } match)
                {
                    return match.Groups[2].Value;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No worker had an update of round {round} acknowledged:\n" + string.Join("\n---\n", workers.Select(w => w.Output)));
    }

    [GeneratedRegex(@"Round (\d+), (\S+): train loss .* accepted True")]
    private static partial Regex Acknowledged();

    [GeneratedRegex(@"Coordinator listening: gRPC \S+, HTTP [^:]+:(\d+);")]
    private static partial Regex HttpPort();
}
