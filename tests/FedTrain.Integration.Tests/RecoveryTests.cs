using System.Globalization;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary>A coordinator killed outright and restarted on the same run directory picks the run up again.</summary>
public sealed class RecoveryTests
{
    [Fact]
    public Task Killed_coordinator_resumes_after_its_last_committed_round_and_workers_reconnect() => KillAndResumeAsync(database: null);

    /// <param name="database">The coordinator database (<c>--database</c>); null for SQLite in the run directory.</param>
    internal static async Task KillAndResumeAsync(string? database)
    {
        string dir = RepoPaths.NewRunDirectory("resume");
        database ??= TestDatabase.For(dir);
        int port = FederationTests.FreePort();
        string[] coordinatorArgs =
        [
            "coordinator", "--grpc-port", port.ToString(CultureInfo.InvariantCulture), "--http-port", "0", "--bind", "127.0.0.1",
            "--run-dir", dir, "--rounds", "3", "--min-workers", "2", "--test-limit", "500", "--local-steps", "20",
            .. database is null ? Array.Empty<string>() : ["--database", database],
        ];
        var enrolment = await WorkerEnrolment.PrepareInAsync(database, dir, "worker-1", "worker-2");
        var workers = new List<CliProcess>();
        try
        {
            using (var first = CliProcess.Start(coordinatorArgs))
            {
                await first.WaitForOutputAsync("Coordinator listening", TimeSpan.FromSeconds(60));
                for (int i = 0; i < 2; i++)
                {
                    workers.Add(CliProcess.Start([
                        "worker", "--coordinator", $"http://127.0.0.1:{port}", "--worker-id", $"worker-{i + 1}",
                        "--shard", $"{i}/2", "--train-limit", "2000", "--threads", "1", .. enrolment[$"worker-{i + 1}"]]));
                }

                await first.WaitForOutputAsync("Round 1 committed", TimeSpan.FromSeconds(120));
                first.Kill();
            }

            var afterCrash = RunSummary.Rounds(RunSummary.Load(dir));
            Assert.NotEmpty(afterCrash);

            using var second = CliProcess.Start(coordinatorArgs);
            int exit = await second.WaitForExitAsync(TimeSpan.FromMinutes(3));
            Assert.True(exit == 0, second.Output);
            Assert.Contains("Resuming run", second.Output, StringComparison.Ordinal);

            var summary = RunSummary.Load(dir);
            Assert.Equal("finished", summary.GetProperty("status").GetString());
            var rounds = RunSummary.Rounds(summary);
            // Contiguous, none lost, none repeated; the rounds committed before the crash are unchanged.
            Assert.Equal([1, 2, 3], rounds.Select(r => r.GetProperty("round").GetInt32()));
            for (int i = 0; i < afterCrash.Length; i++)
            {
                Assert.Equal(afterCrash[i].GetProperty("test_accuracy").GetDouble(), rounds[i].GetProperty("test_accuracy").GetDouble());
            }

            Assert.All(rounds, r => Assert.Equal(2, r.GetProperty("participants").GetInt32()));
            foreach (var worker in workers)
            {
                // Each worker lost its coordinator, found the new one by itself, and was told the run is over.
                Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Matches("reconnecting|unreachable", worker.Output);
                Assert.Contains("finished: all rounds completed", worker.Output, StringComparison.Ordinal);
            }
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }
}
