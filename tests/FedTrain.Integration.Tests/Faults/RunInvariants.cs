using System.Text.RegularExpressions;
using FedTrain.Integration.Tests.Support;
using FedTrain.Privacy;

namespace FedTrain.Integration.Tests.Faults;

/// <summary>
/// What every faulted run must still satisfy, checked from its files and its processes' logs alone: it finished;
/// its rounds are 1..R, none lost or repeated; each round's checkpoint is intact and chained to the model the
/// round started from; workers only ever trained from committed models; with DP, ε is exactly the accountant's for
/// the releases in the ledger, which are the committed rounds' plus <paramref name="extraReleases"/> that a crash cut
/// short after their ledger row: a run can over-count, never under-count.
/// </summary>
internal static partial class RunInvariants
{
    /// <param name="run">The finished run.</param>
    /// <param name="privacy">Whether it ran under DP.</param>
    /// <param name="extraReleases">Model releases recorded beyond one per committed round (0 unless a crash came after a
    /// release's ledger row and before its round's pending record).</param>
    public static void Check(FaultRun run, bool privacy = false, int extraReleases = 0)
    {
        ArgumentNullException.ThrowIfNull(run);
        string log = string.Join('\n', run.Coordinators.Select(c => c.Output));
        var summary = RunSummary.Load(run.Directory);
        Assert.True(summary.GetProperty("status").GetString() == "finished", log);
        var rounds = RunSummary.Rounds(summary);
        Assert.Equal(Enumerable.Range(1, FaultRun.Rounds), rounds.Select(r => r.GetProperty("round").GetInt32()));

        string runId = summary.GetProperty("run_id").GetString()!;
        var hashes = new Dictionary<long, string>();
        string checkpoints = Path.Combine(run.Directory, "checkpoints");
        for (int r = 1; r <= rounds.Length; r++)
        {
            var round = rounds[r - 1];
            Assert.Equal($"round-{r:D4}.safetensors", round.GetProperty("checkpoint").GetString());
            var checkpoint = CheckpointFile.Read(Path.Combine(checkpoints, $"round-{r:D4}.safetensors"));
            Assert.Equal(runId, checkpoint.Metadata["run_id"]);
            Assert.Equal(r.ToString(System.Globalization.CultureInfo.InvariantCulture), checkpoint.Metadata["round"]);
            // The file is whole: its bytes hash to what the coordinator recorded when it wrote them.
            Assert.Equal(checkpoint.Metadata["sha256"], checkpoint.DataSha256);
            Assert.Equal((r - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), checkpoint.Metadata["parent_version"]);
            if (r == 1)
            {
                hashes[0] = checkpoint.Metadata["parent_sha256"];
            }
            else
            {
                // The chain: round r started from exactly the model round r - 1 committed.
                Assert.Equal(hashes[r - 1], checkpoint.Metadata["parent_sha256"]);
            }

            hashes[r] = checkpoint.DataSha256;
            if (privacy)
            {
                // Under DP the cohort and the per-client figures are withheld from the summary.
                Assert.Equal(System.Text.Json.JsonValueKind.Null, round.GetProperty("clients").ValueKind);
                Assert.Equal(System.Text.Json.JsonValueKind.Null, round.GetProperty("selected").ValueKind);
            }
            else
            {
                var clients = round.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("client_id").GetString()).ToList();
                Assert.Equal(clients.Count, clients.Distinct().Count());
                Assert.True(clients.Count <= round.GetProperty("selected").GetInt32());
            }
        }

        Assert.Empty(System.IO.Directory.GetFiles(checkpoints, "*.tmp"));

        // Workers trained only from committed models: every model a worker received for training is in the chain.
        foreach (var worker in run.Workers)
        {
            foreach (Match received in ReceivedModel().Matches(worker.Output))
            {
                long version = long.Parse(received.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(hashes.TryGetValue(version, out string? expected) && expected == received.Groups[3].Value,
                    $"round {received.Groups[1].Value} trained from model version {version} with sha256 {received.Groups[3].Value}, not a committed model:\n{worker.Output}");
            }
        }

        if (privacy)
        {
            // One Sampled Gaussian release per committed round, plus those a crash cut short: each was in the ledger
            // before its noise existed, so it counts.
            var releases = summary.GetProperty("privacy").GetProperty("releases");
            int modelReleases = releases.GetProperty("model").GetInt32();
            Assert.Equal(rounds.Length + extraReleases, modelReleases);
            double expected = NoiseCalibration.Epsilon(FaultRun.SamplingRate, FaultRun.NoiseMultiplier, modelReleases, FaultRun.Delta);
            Assert.Equal(expected, summary.GetProperty("privacy").GetProperty("spent_epsilon").GetDouble(), 12);
            Assert.True(expected >= NoiseCalibration.Epsilon(FaultRun.SamplingRate, FaultRun.NoiseMultiplier, rounds.Length, FaultRun.Delta));
            double previous = 0;
            foreach (var round in rounds)
            {
                double epsilon = round.GetProperty("epsilon").GetDouble();
                Assert.True(epsilon > previous, "epsilon grows with every round");
                previous = epsilon;
            }

            Assert.Equal(expected, previous, 12);
        }
    }

    [GeneratedRegex(@"Round (\d+): received model version (\d+), sha256 ([0-9a-f]{64})")]
    private static partial Regex ReceivedModel();
}
