using System.Globalization;
using System.Text.RegularExpressions;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary>
/// A worker given a table and no <c>--model</c> asks the coordinator for the run's contract (<c>GetRunSpec</c>) and
/// checks its data against it before it registers: a table that fits the run trains, one that does not is refused,
/// named, and the worker exits without registering. A tabular run names its feature columns, and workers read their
/// tables by those names, whatever the order of their columns.
/// </summary>
public sealed class RunContractTests
{
    [Fact]
    public async Task A_worker_without_model_flags_checks_its_table_against_the_run_spec_it_fetches()
    {
        string dir = RepoPaths.NewRunDirectory("run-contract");
        string test = Path.Combine(dir, "test.csv");
        string good = Path.Combine(dir, "good.csv");
        string wide = Path.Combine(dir, "wide.csv");
        await File.WriteAllTextAsync(test, Table(["age", "weight"], 40, seed: 1));
        await File.WriteAllTextAsync(good, Table(["age", "weight"], 80, seed: 2));
        await File.WriteAllTextAsync(wide, Table(["age", "weight", "height"], 80, seed: 3));
        int port = FederationTests.FreePort();
        using var coordinator = CliProcess.Start(
            "coordinator", "--grpc-port", port.ToString(CultureInfo.InvariantCulture), "--http-port", "0", "--bind", "127.0.0.1",
            "--run-dir", Path.Combine(dir, "run"), "--insecure-no-auth", "--min-workers", "1", "--min-fit-clients", "1", "--rounds", "1",
            "--model", "kind=mlp;in=2;hidden=8;classes=2", "--classes", "well,ill", "--test-data", test, "--label-column", "outcome",
            "--local-steps", "5", "--batch-size", "8");
        await coordinator.WaitForOutputAsync("Coordinator listening", TimeSpan.FromSeconds(60));
        string address = $"http://127.0.0.1:{port}";

        // Three feature columns chosen against the run's two: refused before the worker registers.
        using (var refused = CliProcess.Start(
            "worker", "--coordinator", address, "--worker-id", "wide", "--data", wide, "--label-column", "outcome",
            "--feature-columns", "age,weight,height", "--state-dir", Path.Combine(dir, "state-wide")))
        {
            Assert.Equal(2, await refused.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("data refused", refused.Output, StringComparison.Ordinal);
            Assert.Contains("--feature-columns (age, weight, height) differs from the run's feature columns (age, weight)", refused.Output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("Worker wide", coordinator.Output, StringComparison.Ordinal);

        // The owner can look at the table as the run will read it, with the run's spec from the coordinator.
        using (var inspect = CliProcess.Start(
            "data", "inspect", "--data", good, "--label-column", "outcome", "--coordinator", address, "--worker-id", "good"))
        {
            Assert.Equal(0, await inspect.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("Run spec from " + address, inspect.Output, StringComparison.Ordinal);
            Assert.Contains("classes well,ill", inspect.Output, StringComparison.Ordinal);
        }

        using var worker = CliProcess.Start(
            "worker", "--coordinator", address, "--worker-id", "good", "--data", good, "--label-column", "outcome",
            "--state-dir", Path.Combine(dir, "state-good"));
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Contains("checked against its model kind=mlp;in=2", worker.Output, StringComparison.Ordinal);
        Assert.Contains("classes well,ill", worker.Output, StringComparison.Ordinal);
        Assert.Equal(0, await coordinator.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task A_tabular_run_serves_its_feature_names_and_workers_read_their_columns_by_name()
    {
        string dir = RepoPaths.NewRunDirectory("run-features");
        string test = Path.Combine(dir, "test.csv");
        string ordered = Path.Combine(dir, "ordered.csv");
        string permuted = Path.Combine(dir, "permuted.csv");
        string missing = Path.Combine(dir, "missing.csv");
        await File.WriteAllTextAsync(test, Table(["age", "weight"], 40, seed: 1));
        string rows = Table(["age", "weight"], 80, seed: 2);
        await File.WriteAllTextAsync(ordered, rows);
        // The same rows with the columns in another order and a column the run does not take.
        await File.WriteAllTextAsync(permuted, Reorder(rows, ["outcome", "site", "weight", "age"]));
        await File.WriteAllTextAsync(missing, Reorder(rows, ["weight", "site", "outcome"]));

        using (var run = await TabularRun.StartAsync(Path.Combine(dir, "run-refused"), test))
        {
            // A table lacking one of the run's columns is refused, naming the column and the file, before registering.
            using (var refused = run.Worker("missing", missing, Path.Combine(dir, "state-missing")))
            {
                Assert.Equal(2, await refused.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains($"{missing} has no column 'age', which the run takes as a feature (the run's feature columns: age, weight)", refused.Output, StringComparison.Ordinal);
            }

            Assert.DoesNotContain("Worker missing", run.Coordinator.Output, StringComparison.Ordinal);

            // The owner sees the run's feature names, and the table's columns as the run reads them.
            using var inspect = CliProcess.Start(
                "data", "inspect", "--data", permuted, "--label-column", "outcome", "--coordinator", run.Address, "--worker-id", "owner");
            Assert.Equal(0, await inspect.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("features age,weight (read by name, in this order)", inspect.Output, StringComparison.Ordinal);
            Assert.Contains("Input: 2 features: age, weight", inspect.Output, StringComparison.Ordinal);
        }

        // Two runs, one worker each, on the same rows in the two column orders: the same global model, bit for bit.
        string[] checkpoints = await Task.WhenAll(
            TrainOneRoundAsync(Path.Combine(dir, "run-ordered"), test, ordered),
            TrainOneRoundAsync(Path.Combine(dir, "run-permuted"), test, permuted));
        Assert.Equal(CheckpointFile.Read(checkpoints[0]).DataSha256, CheckpointFile.Read(checkpoints[1]).DataSha256);
    }

    private static async Task<string> TrainOneRoundAsync(string runDirectory, string test, string data)
    {
        using var run = await TabularRun.StartAsync(runDirectory, test);
        // One libtorch thread: the two runs' training then sums in the same order whatever the machine's cores.
        using var worker = run.Worker("owner", data, runDirectory + "-state", "--threads", "1");
        Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, worker.Output);
        Assert.Contains("features age,weight", worker.Output, StringComparison.Ordinal);
        Assert.Equal(0, await run.Coordinator.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        // The worker's update was taken into the round's model, which is then what the two runs compare.
        Assert.Equal(1, Assert.Single(RunSummary.Rounds(RunSummary.Load(runDirectory))).GetProperty("participants").GetInt32());
        return Path.Combine(runDirectory, "checkpoints", "round-0001.safetensors");
    }

    /// <summary>The CSV <paramref name="table"/> with its columns in <paramref name="columns"/> order; 'site' is a text column it lacked.</summary>
    private static string Reorder(string table, string[] columns)
    {
        string[] lines = table.TrimEnd('\n').Split('\n');
        string[] header = lines[0].Split(',');
        return string.Join('\n', lines.Select((line, i) =>
        {
            string[] fields = line.Split(',');
            return string.Join(',', columns.Select(c => c == "site" ? (i == 0 ? "site" : "north") : fields[Array.IndexOf(header, c)]));
        })) + "\n";
    }

    /// <summary>A coordinator of a one-round run whose test set is a table with the features age and weight.</summary>
    private sealed class TabularRun : IDisposable
    {
        private TabularRun(CliProcess coordinator, string address)
        {
            Coordinator = coordinator;
            Address = address;
        }

        public CliProcess Coordinator { get; }

        public string Address { get; }

        public static async Task<TabularRun> StartAsync(string runDirectory, string test)
        {
            // Port 0: the coordinator binds a free port itself and prints it, so runs started side by side cannot collide.
            var coordinator = CliProcess.Start(
                "coordinator", "--grpc-port", "0", "--http-port", "0", "--bind", "127.0.0.1",
                "--run-dir", runDirectory, "--insecure-no-auth", "--min-workers", "1", "--min-fit-clients", "1", "--rounds", "1",
                "--model", "kind=mlp;in=2;hidden=8;classes=2", "--classes", "well,ill", "--test-data", test, "--label-column", "outcome",
                "--local-steps", "5", "--batch-size", "8");
            await coordinator.WaitForOutputAsync("Coordinator listening", TimeSpan.FromSeconds(60));
            string port = Regex.Match(coordinator.Output, @"Coordinator listening: gRPC 127\.0\.0\.1:(\d+)").Groups[1].Value;
            return new TabularRun(coordinator, $"http://127.0.0.1:{port}");
        }

        public CliProcess Worker(string id, string data, string stateDirectory, params string[] extra) => CliProcess.Start(
            ["worker", "--coordinator", Address, "--worker-id", id, "--data", data, "--label-column", "outcome", "--state-dir", stateDirectory, .. extra]);

        public void Dispose() => Coordinator.Dispose();
    }

    /// <summary>A table whose label is <c>ill</c> when the first feature is large, as a CSV with a header.</summary>
    private static string Table(string[] features, int rows, int seed)
    {
        var random = new Random(seed);
        var lines = new List<string> { string.Join(',', features.Append("outcome")) };
        for (int row = 0; row < rows; row++)
        {
            double[] values = [.. features.Select(_ => Math.Round(random.NextDouble() * 100, 1))];
            lines.Add(string.Join(',', values.Select(v => v.ToString(CultureInfo.InvariantCulture))) + "," + (values[0] > 50 ? "ill" : "well"));
        }

        return string.Join('\n', lines) + "\n";
    }
}
