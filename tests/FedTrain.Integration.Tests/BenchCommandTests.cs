using System.Text.Json.Nodes;
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
        string directory = RepoPaths.NewRunDirectory("bench");
        string json = Path.Combine(directory, "rows.json");
        using var bench = CliProcess.Start("bench", "round-overhead", "train", "scale", "--quick", "--json", json);
        int exit = await bench.WaitForExitAsync(TimeSpan.FromMinutes(6));
        Assert.True(exit == 0, bench.Output);

        var rows = JsonNode.Parse(await File.ReadAllTextAsync(json))!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(["round-overhead", "scale", "train"], rows.Select(r => (string)r["suite"]!).Distinct().Order());
        foreach (var row in rows)
        {
            double value = (double)row["value"]!, reference = (double)row["reference"]!, ratio = (double)row["ratio"]!;
            Assert.True(double.IsFinite(value) && value > 0, $"value of {row.ToJsonString()}");
            Assert.True(double.IsFinite(reference) && reference > 0, $"reference of {row.ToJsonString()}");
            // Ratios are oriented so that higher is better: one of value/reference or reference/value.
            Assert.True(
                Math.Abs(ratio - (value / reference)) < 1e-9 * ratio || Math.Abs(ratio - (reference / value)) < 1e-9 * ratio,
                $"ratio of {row.ToJsonString()}");
            Assert.False(string.IsNullOrWhiteSpace((string)row["unit"]!));
            Assert.False(string.IsNullOrWhiteSpace((string)row["reference_unit"]!));
        }

        // The table went to standard output, one line per row below its header.
        Assert.Contains("ratio", bench.Output, StringComparison.Ordinal);
        Assert.Contains("P=100k N=2", bench.Output, StringComparison.Ordinal);
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
