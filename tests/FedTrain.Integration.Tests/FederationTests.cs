using System.Globalization;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary>Real coordinator and worker processes training over loopback gRPC on a small Fashion-MNIST subset.</summary>
public sealed class FederationTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public Task Demo_with_two_worker_processes_trains_two_rounds() => DemoAsync(database: null);

    /// <param name="database">The coordinator database (<c>--database</c>); null for SQLite in the run directory.</param>
    internal static async Task DemoAsync(string? database)
    {
        string dir = RepoPaths.NewRunDirectory("demo");
        database ??= TestDatabase.For(dir);
        string[] arguments =
        [
            "demo", "--workers", "2", "--rounds", "2", "--out", dir, "--partition", "iid", "--seed", "7",
            "--train-limit", "4000", "--test-limit", "1000", "--local-steps", "40", "--batch-size", "32",
            .. database is null ? Array.Empty<string>() : ["--database", database],
        ];
        using var demo = CliProcess.Start(arguments);
        int exit = await demo.WaitForExitAsync(RunTimeout);
        Assert.True(exit == 0, demo.Output);

        var summary = RunSummary.Load(dir);
        Assert.Equal("cnn", summary.GetProperty("model").GetString());
        Assert.Equal(2, summary.GetProperty("workers").GetInt32());
        var rounds = RunSummary.Rounds(summary);
        Assert.Equal([1, 2], rounds.Select(r => r.GetProperty("round").GetInt32()));
        Assert.All(rounds, r => Assert.Equal(2, r.GetProperty("participants").GetInt32()));
        Assert.All(rounds, r => Assert.True(r.GetProperty("update_bytes").GetInt64() > 100_000));
        // 80 SGD steps of 32 images take the CNN far above chance (0.1) on the 1,000 test images.
        double final = summary.GetProperty("final").GetProperty("test_accuracy").GetDouble();
        Assert.True(final > 0.55, $"final accuracy {final}\n{demo.Output}");
        Assert.Equal(rounds[^1].GetProperty("test_accuracy").GetDouble(), final);
        Assert.True(File.Exists(Path.Combine(dir, "checkpoints", "round-0002.safetensors")));
        Assert.Equal(database is null && !TestDatabase.IsPostgres, File.Exists(Path.Combine(dir, "coordinator.db")));
        Assert.Contains("round   2", demo.Output, StringComparison.Ordinal);

        // Federated evaluation: both clients scored every new model on their own held-out data.
        Assert.All(rounds, r =>
        {
            var fairness = r.GetProperty("fairness");
            Assert.Equal(2, fairness.GetProperty("clients_evaluated").GetInt32());
            double mean = fairness.GetProperty("accuracy_mean").GetDouble();
            Assert.InRange(fairness.GetProperty("accuracy_min").GetDouble(), 0, mean);
            Assert.InRange(fairness.GetProperty("jain_index").GetDouble(), 0.5, 1);
        });
        var table = File.ReadAllLines(Path.Combine(dir, "clients.csv"));
        Assert.Equal(1 + (2 * 2), table.Length);
        Assert.StartsWith("round,client_id,worker_id,holdout_accuracy", table[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulated_clients_spread_over_worker_processes_train_sampled_cohorts()
    {
        string dir = RepoPaths.NewRunDirectory("clients");
        using var demo = CliProcess.Start(
            "demo", "--workers", "2", "--clients", "12", "--fraction-fit", "0.5", "--rounds", "2", "--out", dir,
            "--train-limit", "3000", "--test-limit", "500", "--local-steps", "5");
        int exit = await demo.WaitForExitAsync(RunTimeout);
        Assert.True(exit == 0, demo.Output);

        var summary = RunSummary.Load(dir);
        Assert.Equal(12, summary.GetProperty("clients").GetInt32());
        foreach (var round in RunSummary.Rounds(summary))
        {
            Assert.Equal(6, round.GetProperty("participants").GetInt32());
            var clients = round.GetProperty("clients").EnumerateArray().ToArray();
            var ids = clients.Select(c => c.GetProperty("client_id").GetString()!).ToArray();
            Assert.Equal(6, ids.Distinct().Count());
            Assert.All(ids, id => Assert.Matches("^client-000(0[0-9]|1[01])$", id));
            // Client j lives on worker (j mod 2) + 1.
            Assert.All(clients, c => Assert.Equal(
                $"worker-{(int.Parse(c.GetProperty("client_id").GetString()![7..], CultureInfo.InvariantCulture) % 2) + 1}",
                c.GetProperty("worker_id").GetString()));
        }
    }

    [Fact]
    public async Task Killing_a_worker_mid_round_leaves_the_run_going_by_quorum()
    {
        string dir = RepoPaths.NewRunDirectory("kill");
        string config = Path.Combine(dir, "coordinator.json");
        await File.WriteAllTextAsync(config, """
            { "heartbeat_interval_seconds": 1, "worker_timeout_seconds": 4, "round_timeout_seconds": 120,
              "test_limit": 500, "min_fit_clients": 2, "quorum_fraction": 0.5 }
            """);
        int port = FreePort();
        var enrolment = await WorkerEnrolment.PrepareAsync(dir, "worker-1", "worker-2", "worker-3");
        using var coordinator = CliProcess.Start(
            "coordinator", "--config", config, "--grpc-port", port.ToString(CultureInfo.InvariantCulture), "--http-port", "0",
            "--bind", "127.0.0.1", "--run-dir", dir, "--rounds", "3", "--min-workers", "3", "--local-steps", "60");
        await coordinator.WaitForOutputAsync("Coordinator listening", TimeSpan.FromSeconds(60));

        var workers = new List<CliProcess>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                workers.Add(CliProcess.Start([
                    "worker", "--coordinator", $"http://127.0.0.1:{port}", "--worker-id", $"worker-{i + 1}",
                    "--shard", $"{i}/3", "--partition", "iid", "--train-limit", "3000", "--threads", "1", .. enrolment[$"worker-{i + 1}"]]));
            }

            await workers[2].WaitForOutputAsync("Round 1: training from model version 0", TimeSpan.FromSeconds(90));
            workers[2].Kill();

            int exit = await coordinator.WaitForExitAsync(RunTimeout);
            Assert.True(exit == 0, coordinator.Output);
            var rounds = RunSummary.Rounds(RunSummary.Load(dir));
            Assert.Equal([1, 2, 3], rounds.Select(r => r.GetProperty("round").GetInt32()));
            var failures = rounds[0].GetProperty("failures").EnumerateArray().Select(f => f.GetString()!).ToArray();
            // Either the killed worker went silent, or it had already uploaded before the kill landed.
            if (rounds[0].GetProperty("participants").GetInt32() == 2)
            {
                Assert.Contains(failures, f => f.StartsWith("worker-3", StringComparison.Ordinal));
            }

            Assert.All(rounds.Skip(1), r => Assert.Equal(2, r.GetProperty("participants").GetInt32()));
            Assert.All(workers.Take(2), w => Assert.Contains("Run ", w.Output, StringComparison.Ordinal));
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
