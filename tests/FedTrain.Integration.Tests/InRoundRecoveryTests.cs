using System.Globalization;
using System.Text.RegularExpressions;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary>
/// A coordinator killed outright in the middle of a round keeps the updates it had already acknowledged: the
/// restarted coordinator resumes that round with them instead of starting it over.
/// </summary>
public sealed class InRoundRecoveryTests
{
    [Fact]
    public async Task Killed_mid_round_the_coordinator_resumes_the_round_with_the_kept_updates_and_does_not_ask_for_them_again()
    {
        string dir = RepoPaths.NewRunDirectory("resume-in-round");
        int port = FederationTests.FreePort();
        string[] coordinatorArgs =
        [
            "coordinator", "--grpc-port", port.ToString(CultureInfo.InvariantCulture), "--http-port", "0", "--bind", "127.0.0.1",
            "--run-dir", dir, "--rounds", "2", "--min-workers", "1", "--min-fit-clients", "3", "--test-limit", "300",
            "--local-steps", "10", "--fraction-evaluate", "0", "--insecure-no-auth",
        ];

        // One worker process training three simulated clients one after another, so uploads land one at a time.
        CliProcess? worker = null;
        try
        {
            using (var first = CliProcess.Start(["FEDTRAIN_FAULT=after-upload:2"], coordinatorArgs))
            {
                await first.WaitForOutputAsync("Coordinator listening", TimeSpan.FromSeconds(60));
                worker = CliProcess.Start(
                    "worker", "--coordinator", $"http://127.0.0.1:{port}", "--worker-id", "worker-1",
                    "--shard", "0/1", "--population", "3", "--train-limit", "1500", "--threads", "1");
                Assert.NotEqual(0, await first.WaitForExitAsync(TimeSpan.FromMinutes(2)));
                Assert.Contains("killing the coordinator after upload 2", first.Output, StringComparison.Ordinal);
            }

            // The crash came before round 1 could commit. The worker trains its clients in id order, one upload at a
            // time, so the two kept updates are those of client-00000 and client-00001.
            Assert.Empty(RunSummary.Rounds(RunSummary.Load(dir)));
            string[] kept = ["client-00000", "client-00001"];

            using var second = CliProcess.Start(coordinatorArgs);
            int exit = await second.WaitForExitAsync(TimeSpan.FromMinutes(3));
            Assert.True(exit == 0, second.Output);
            Assert.Contains("Round 1 resumes with 2 updates kept before the restart", second.Output, StringComparison.Ordinal);

            var rounds = RunSummary.Rounds(RunSummary.Load(dir));
            Assert.Equal([1, 2], rounds.Select(r => r.GetProperty("round").GetInt32()));
            Assert.All(rounds, r => Assert.Equal(3, r.GetProperty("participants").GetInt32()));
            Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("Round 1: accepted update for client client-00002", second.Output, StringComparison.Ordinal);
            foreach (string client in kept)
            {
                // Counted from the spool, not sent again: the restarted coordinator never received it for round 1,
                // and the worker trained it for round 1 at most once (once, unless the crash ate the acknowledgement).
                Assert.DoesNotContain($"Round 1: accepted update for client {client} ", second.Output, StringComparison.Ordinal);
                Assert.True(Regex.Count(worker.Output, $@"Round 1, {client}: train loss") <= 1, worker.Output);
                Assert.Contains($"Round 2: accepted update for client {client} ", second.Output, StringComparison.Ordinal);
            }

            Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir, "spool")));
        }
        finally
        {
            worker?.Dispose();
        }
    }
}
