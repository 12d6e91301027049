using System.Globalization;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary>
/// A worker given a table and no <c>--model</c> asks the coordinator for the run's contract (<c>GetRunSpec</c>) and
/// checks its data against it before it registers: a table that fits the run trains, one that does not is refused,
/// named, and the worker exits without registering.
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

        // Three feature columns against the run's two: refused before the worker registers.
        using (var refused = CliProcess.Start(
            "worker", "--coordinator", address, "--worker-id", "wide", "--data", wide, "--label-column", "outcome",
            "--state-dir", Path.Combine(dir, "state-wide")))
        {
            Assert.Equal(2, await refused.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("data refused", refused.Output, StringComparison.Ordinal);
            Assert.Contains("kind=mlp;in=2", refused.Output, StringComparison.Ordinal);
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
