using System.Text.Json.Nodes;

namespace FedTrain.Integration.Tests.Support;

/// <summary>Runs <c>fedtrain bench SUITE... --quick --json</c> and checks what every row must hold, whatever its suite.</summary>
internal static class QuickBench
{
    /// <summary>The rows the suites wrote, after the command exited 0 within <paramref name="timeout"/>.</summary>
    public static async Task<(List<JsonObject> Rows, string Output)> RunAsync(string name, TimeSpan timeout, params string[] suites)
    {
        string json = Path.Combine(RepoPaths.NewRunDirectory(name), "rows.json");
        string[] arguments = ["bench", .. suites, "--quick", "--json", json];
        using var bench = CliProcess.Start(arguments);
        int exit = await bench.WaitForExitAsync(timeout);
        Assert.True(exit == 0, bench.Output);
        var rows = JsonNode.Parse(await File.ReadAllTextAsync(json))!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.All(rows, AssertSane);
        return (rows, bench.Output);
    }

    /// <summary>A positive finite value and reference, both with units, and the ratio of the two oriented so higher is better.</summary>
    private static void AssertSane(JsonObject row)
    {
        double value = (double)row["value"]!, reference = (double)row["reference"]!, ratio = (double)row["ratio"]!;
        Assert.True(double.IsFinite(value) && value > 0, $"value of {row.ToJsonString()}");
        Assert.True(double.IsFinite(reference) && reference > 0, $"reference of {row.ToJsonString()}");
        Assert.True(
            Math.Abs(ratio - (value / reference)) < 1e-9 * ratio || Math.Abs(ratio - (reference / value)) < 1e-9 * ratio,
            $"ratio of {row.ToJsonString()}");
        Assert.False(string.IsNullOrWhiteSpace((string)row["unit"]!));
        Assert.False(string.IsNullOrWhiteSpace((string)row["reference_unit"]!));
    }
}
