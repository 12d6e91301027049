using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary>
/// One of five workers (20 %) sends sign-flipped, amplified updates: FedAvg is dragged off, robust rules hold.
/// Small subset, few rounds; the full-size figures are in docs/robustness.md.
/// </summary>
public sealed class RobustnessTests
{
    /// <summary>Runs a demo and returns the last committed round's test accuracy.</summary>
    /// <param name="name">Run directory prefix.</param>
    /// <param name="mayFail">A poisoned FedAvg run may end early when every worker's training diverges.</param>
    /// <param name="extra">Flags added to the common ones.</param>
    private static async Task<double> RunAsync(string name, bool mayFail, params string[] extra)
    {
        string dir = RepoPaths.NewRunDirectory(name);
        string[] common =
        [
            "demo", "--workers", "5", "--rounds", "4", "--out", dir, "--partition", "iid", "--seed", "3",
            "--train-limit", "10000", "--test-limit", "1000", "--local-steps", "50", "--fraction-evaluate", "0",
            "--threads-per-worker", "1", "--round-timeout", "60",
        ];
        using var demo = CliProcess.Start([.. common, .. extra]);
        int exit = await demo.WaitForExitAsync(TimeSpan.FromMinutes(4));
        Assert.True(exit == 0 || mayFail, demo.Output);
        var rounds = RunSummary.Rounds(RunSummary.Load(dir));
        return rounds.Length == 0 ? 0 : rounds[^1].GetProperty("test_accuracy").GetDouble();
    }

    [Fact]
    public async Task Robust_rules_stay_near_the_clean_run_while_fedavg_collapses()
    {
        string[] attack = ["--byzantine", "0.2", "--attack", "sign-flip:10"];
        double clean = await RunAsync("clean", false);
        double fedavg = await RunAsync("fedavg", true, attack);
        double median = await RunAsync("median", false, [.. attack, "--strategy", "median"]);
        double trimmed = await RunAsync("trimmed", false, [.. attack, "--strategy", "trimmed-mean", "--strategy-param", "beta=0.2"]);
        double krum = await RunAsync("krum", false, [.. attack, "--strategy", "krum", "--strategy-param", "f=1", "--min-fit-clients", "5"]);
        double multiKrum = await RunAsync("multikrum", false, [.. attack, "--strategy", "multi-krum", "--strategy-param", "f=1", "--min-fit-clients", "5"]);

        string figures = $"clean {clean:F3}, fedavg {fedavg:F3}, median {median:F3}, trimmed {trimmed:F3}, krum {krum:F3}, multi-krum {multiKrum:F3}";
        Assert.True(clean > 0.6, figures);
        Assert.True(fedavg < clean - 0.3, figures);
        Assert.True(median > clean - 0.05, figures);
        Assert.True(trimmed > clean - 0.05, figures);
        Assert.True(multiKrum > clean - 0.05, figures);
        // Plain Krum keeps one client's update per round, so it learns more slowly than the averaged clean run
        // over four short rounds; it must still be far from FedAvg's collapse.
        Assert.True(krum > clean - 0.2, figures);
    }

    [Theory]
    [InlineData("trimmed-mean", "beta=0.5", "beta")]
    [InlineData("krum", "f=2", "f=2 is too large")]
    [InlineData("qfedavg", "q=-1", "q")]
    [InlineData("median", "beta=0.1", "no parameter 'beta'")]
    [InlineData("fedsgd", "", "Unknown strategy")]
    public async Task Bad_strategy_configuration_is_refused_at_start(string strategy, string parameter, string named)
    {
        string dir = RepoPaths.NewRunDirectory("bad-strategy");
        var arguments = new List<string> { "demo", "--workers", "1", "--rounds", "1", "--out", dir, "--strategy", strategy, "--min-fit-clients", "5" };
        if (parameter.Length > 0)
        {
            arguments.AddRange(["--strategy-param", parameter]);
        }

        using var demo = CliProcess.Start([.. arguments]);
        Assert.Equal(2, await demo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(named, demo.Output, StringComparison.Ordinal);
    }
}
