using System.Globalization;
using System.Text.RegularExpressions;
using FedTrain.Coordinator.Storage;
using FedTrain.Integration.Tests.Support;
using FedTrain.TestSupport;
using Xunit.Abstractions;

namespace FedTrain.Integration.Tests.Cluster;

/// <summary>
/// Three coordinator processes on a real PostgreSQL, each with an intake port, and four worker processes: the leading
/// node deals each round's uploads over itself and the other two nodes, which check and keep the updates in the shared
/// spool, have the leader count them, and sum them; at each round's close the leader folds each node's partial sum.
/// One node is armed to die (SIGKILL) when the leader asks for its round-2 sum, after it acknowledged updates of that
/// round: the leader reads that node's updates from the shared spool instead, and the run completes with every
/// acknowledged update counted once.
/// </summary>
[Collection(Faults.FaultRun.Collection)]
public sealed partial class SpreadIntakeTests(ITestOutputHelper output) : IRequiresPostgres
{
    private const int Workers = 4, Rounds = 3;
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(4);

    [BackendFact]
    public async Task Uploads_are_spread_over_the_nodes_and_summed_there_and_a_node_dying_with_its_sum_loses_no_acknowledged_update()
    {
        var server = PostgresServer.Require();
        string database = server.Url(server.CreateDatabase("intake"));
        string directory = RepoPaths.NewRunDirectory("cluster-intake");
        string config = Path.Combine(directory, "coordinator.json");
        await File.WriteAllTextAsync(config, """
            { "heartbeat_interval_seconds": 1, "worker_timeout_seconds": 8, "round_timeout_seconds": 120,
              "fraction_evaluate": 0, "test_limit": 200, "min_fit_clients": 4, "quorum_fraction": 0.5 }
            """);
        var nodes = new List<CliProcess>();
        var workers = new List<CliProcess>();
        try
        {
            int[] grpcPorts = [.. Enumerable.Range(0, 3).Select(_ => FederationTests.FreePort())];
            CliProcess StartNode(int i, params string[] environment) => CliProcess.Start(environment, [
                "coordinator", "--config", config, "--grpc-port", grpcPorts[i].ToString(CultureInfo.InvariantCulture), "--http-port", "0",
                "--bind", "127.0.0.1", "--run-dir", directory, "--rounds", Rounds.ToString(CultureInfo.InvariantCulture),
                "--min-workers", Workers.ToString(CultureInfo.InvariantCulture), "--insecure-no-auth", "--local-steps", "20", "--batch-size", "32",
                "--database", database, "--cluster", database, "--cluster-id", "intake-test",
                "--silo-port", FederationTests.FreePort().ToString(CultureInfo.InvariantCulture), "--intake-port", "0"]);

            // The first node leads (it is alone when it activates the run grain); the other two join as standby nodes
            // that receive uploads. The second is armed to die when asked for its round-2 sum.
            var leader = StartNode(0);
            nodes.Add(leader);
            await leader.WaitForOutputAsync("Coordinator listening", TimeSpan.FromSeconds(90));
            var dying = StartNode(1, "FEDTRAIN_FAULT=seal:2");
            var surviving = StartNode(2);
            nodes.Add(dying);
            nodes.Add(surviving);
            foreach (var standby in new[] { dying, surviving })
            {
                await standby.WaitForOutputAsync("Receiving uploads for the leading node at http://127.0.0.1:", TimeSpan.FromSeconds(90));
            }

            string addresses = string.Join(',', grpcPorts.Select(p => $"http://127.0.0.1:{p}"));
            for (int i = 0; i < Workers; i++)
            {
                workers.Add(CliProcess.Start(
                    "worker", "--coordinator", addresses, "--worker-id", $"worker-{i + 1}", "--shard", $"{i}/{Workers}",
                    "--partition", "iid", "--train-limit", "600", "--threads", "1"));
            }

            Assert.Equal(0, await leader.WaitForExitAsync(Generous));
            Assert.Equal(0, await surviving.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.True(dying.HasExited);
            Assert.Contains("fault injected: seal of round 2", dying.Output, StringComparison.Ordinal);

            // Each standby node received uploads for the leader, and the leader folded a node's sum in place of its updates.
            var receivedByDying = Received().Matches(dying.Output).Select(m => (Round: long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), Client: m.Groups[1].Value)).ToList();
            Assert.NotEmpty(Received().Matches(surviving.Output));
            Assert.Contains(receivedByDying, r => r.Round == 2);
            Assert.Matches(@"Round 1: folded node \S+ pid \d+'s partial sum of \d+ updates", leader.Output);
            Assert.Contains($"Round 2: no partial sum from node {Environment.MachineName} pid {dying.Id}", leader.Output, StringComparison.Ordinal);

            using var store = CoordinatorStoreFactory.Open(database, directory);
            var run = store.LoadRun()!;
            Assert.Equal("finished", run.Status);
            var rounds = store.LoadRounds(run.RunId);
            Assert.Equal([1L, 2L, 3L], rounds.Select(r => r.Round));
            foreach (var round in rounds)
            {
                var clients = round.Participants.Select(p => p.ClientId).ToList();
                Assert.Equal(clients.Distinct().Count(), clients.Count);
                // Every update the dying node acknowledged is counted, once, in its round.
                Assert.All(receivedByDying.Where(r => r.Round == round.Round), r => Assert.Contains(r.Client, clients));
            }

            string? parent = null;
            foreach (var round in rounds)
            {
                var checkpoint = CheckpointFile.Read(round.CheckpointPath);
                Assert.True(parent is null || parent == checkpoint.Metadata["parent_sha256"], $"round {round.Round} does not chain to round {round.Round - 1}");
                parent = checkpoint.Metadata["sha256"];
            }

            output.WriteLine(string.Join('\n', leader.Output.Split('\n').Where(l => l.Contains("partial sum", StringComparison.Ordinal))));
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

    [GeneratedRegex(@"Received (\S+)'s update \(worker \S+\) for round (\d+)")]
    private static partial Regex Received();
}
