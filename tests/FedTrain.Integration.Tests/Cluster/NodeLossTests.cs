using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using FedTrain.Coordinator.Storage;
using FedTrain.Integration.Tests.Support;
using FedTrain.TestSupport;
using Xunit.Abstractions;

namespace FedTrain.Integration.Tests.Cluster;

/// <summary>
/// Three coordinator processes form one cluster on a real PostgreSQL (Orleans membership, the run's state, one run
/// directory as the shared storage), four worker processes are given all three addresses. The node that leads the
/// run is killed with SIGKILL just after it acknowledged an update: another node takes the run over from the
/// database, the workers find it by themselves, and the run completes with its rounds contiguous, its checkpoints
/// chained, and the acknowledged update counted once.
/// </summary>
[Collection(Faults.FaultRun.Collection)]
public sealed partial class NodeLossTests(ITestOutputHelper output) : IRequiresPostgres
{
    private const int Nodes = 3, Workers = 4, Rounds = 3;
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(4);

    [BackendFact]
    public async Task Killing_the_leading_node_mid_round_moves_the_run_to_a_survivor_without_losing_an_acknowledged_update()
    {
        var server = PostgresServer.Require();
        string database = server.Url(server.CreateDatabase("cluster"));
        string directory = RepoPaths.NewRunDirectory("cluster-kill");
        string config = Path.Combine(directory, "coordinator.json");
        await File.WriteAllTextAsync(config, """
            { "heartbeat_interval_seconds": 1, "worker_timeout_seconds": 8, "round_timeout_seconds": 120,
              "fraction_evaluate": 0, "test_limit": 200, "min_fit_clients": 4, "quorum_fraction": 0.5 }
            """);
        int[] grpcPorts = [.. Enumerable.Range(0, Nodes).Select(_ => FederationTests.FreePort())];
        var nodes = new List<CliProcess>();
        var workers = new List<CliProcess>();
        try
        {
            for (int i = 0; i < Nodes; i++)
            {
                nodes.Add(CliProcess.Start(
                    "coordinator", "--config", config, "--grpc-port", grpcPorts[i].ToString(CultureInfo.InvariantCulture), "--http-port", "0",
                    "--bind", "127.0.0.1", "--run-dir", directory, "--rounds", Rounds.ToString(CultureInfo.InvariantCulture),
                    "--min-workers", Workers.ToString(CultureInfo.InvariantCulture), "--insecure-no-auth",
                    "--local-steps", "30", "--batch-size", "32",
                    "--database", database, "--cluster", database, "--cluster-id", "kill-test",
                    "--silo-port", FederationTests.FreePort().ToString(CultureInfo.InvariantCulture)));
            }

            string addresses = string.Join(',', grpcPorts.Select(p => $"http://127.0.0.1:{p}"));
            for (int i = 0; i < Workers; i++)
            {
                workers.Add(CliProcess.Start(
                    "worker", "--coordinator", addresses, "--worker-id", $"worker-{i + 1}", "--shard", $"{i}/{Workers}",
                    "--partition", "iid", "--train-limit", "800", "--threads", "1"));
            }

            // Exactly one node leads; the others stand by with no worker-facing port.
            var leader = await OneLeaderAsync(nodes, TimeSpan.FromSeconds(120));
            await leader.WaitForOutputAsync("Round 2: accepted update for client", Generous);
            leader.Signal("KILL");
            var killed = Stopwatch.StartNew();
            string acknowledged = AcceptedClients(leader.Output, 2).First();

            var survivors = nodes.Where(n => n != leader).ToList();
            var successor = await OneLeaderAsync(survivors, TimeSpan.FromSeconds(60));
            var listening = killed.Elapsed;
            await successor.WaitForOutputAsync("registered with", Generous);
            var firstWorker = killed.Elapsed;
            await successor.WaitForOutputAsync("accepted update for client", Generous);
            var firstUpload = killed.Elapsed;
            output.WriteLine(FormattableString.Invariant(
                $"kill -9 of the leading node: the successor listened after {listening.TotalSeconds:F1} s, a worker registered with it after {firstWorker.TotalSeconds:F1} s, and it accepted an upload (trained after the failover) after {firstUpload.TotalSeconds:F1} s"));

            Assert.Equal(0, await successor.WaitForExitAsync(Generous));
            foreach (var standby in survivors.Where(n => n != successor))
            {
                Assert.Equal(0, await standby.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains("The run finished on another node", standby.Output, StringComparison.Ordinal);
            }

            using var store = CoordinatorStoreFactory.Open(database, directory);
            var run = store.LoadRun()!;
            Assert.Equal("finished", run.Status);
            var rounds = store.LoadRounds(run.RunId);
            Assert.Equal([1L, 2L, 3L], rounds.Select(r => r.Round));
            // The update the dead node acknowledged in round 2 was kept (spool file and journal on shared storage) and
            // counts once in the round the successor committed.
            var round2 = rounds[1].Participants.Select(p => p.ClientId).ToList();
            Assert.Equal(round2.Distinct().Count(), round2.Count);
            Assert.Contains(acknowledged, round2);
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

    /// <summary>Waits until one of <paramref name="nodes"/> says it listens for workers, and checks no other does.</summary>
    private static async Task<CliProcess> OneLeaderAsync(IReadOnlyList<CliProcess> nodes, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            var leading = nodes.Where(n => !n.HasExited && n.Output.Contains("Coordinator listening", StringComparison.Ordinal)).ToList();
            if (leading.Count > 0)
            {
                Assert.True(leading.Count == 1, "more than one node leads:\n" + string.Join("\n---\n", leading.Select(n => n.Output)));
                return leading[0];
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("No node led the run:\n" + string.Join("\n---\n", nodes.Select(n => n.Output)));
    }

    private static IEnumerable<string> AcceptedClients(string log, int round) =>
        AcceptedUpdate().Matches(log).Where(m => m.Groups[1].Value == round.ToString(CultureInfo.InvariantCulture)).Select(m => m.Groups[2].Value);

    [GeneratedRegex(@"Round (\d+): accepted update for client (\S+) from")]
    private static partial Regex AcceptedUpdate();
}
