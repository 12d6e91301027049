using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary>
/// The benchmark suites in their --quick mode, through the real command: they must keep working. These tests
/// check the shape and sanity of what is measured, never how fast anything is.
/// </summary>
public sealed class BenchCommandTests
{
    [Fact]
    public async Task Quick_suites_write_one_row_per_figure_with_a_reference_and_a_ratio()
    {
        var (rows, output) = await QuickBench.RunAsync("bench", TimeSpan.FromMinutes(6), "round-overhead", "train", "scale");
        Assert.Equal(["round-overhead", "scale", "train"], rows.Select(r => (string)r["suite"]!).Distinct().Order());

        // The table went to standard output, one line per row below its header.
        Assert.Contains("ratio", output, StringComparison.Ordinal);
        Assert.Contains("P=100k N=2", output, StringComparison.Ordinal);
        Assert.Contains(rows, r => (string)r["case"]! == "P=100k N=2 int8 uploads");
    }

    [Fact]
    public async Task An_unknown_suite_is_refused_with_the_known_names()
    {
        using var bench = CliProcess.Start("bench", "no-such-suite", "--quick");
        int exit = await bench.WaitForExitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(2, exit);
        Assert.Contains("Unknown benchmark suite 'no-such-suite'", bench.Output, StringComparison.Ordinal);
        Assert.Contains("round-overhead", bench.Output, StringComparison.Ordinal);
    }
}
