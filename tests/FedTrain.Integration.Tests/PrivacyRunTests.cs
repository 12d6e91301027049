using FedTrain.Integration.Tests.Support;
using FedTrain.Privacy;

namespace FedTrain.Integration.Tests;

/// <summary>User-level DP-FedAvg runs end to end: the spend per round is the accountant's, and the budget holds.</summary>
public sealed class PrivacyRunTests
{
    [Fact]
    public async Task Dp_run_spends_what_the_planner_predicts_and_stops_before_the_target()
    {
        const double q = 0.1, z = 1.2, delta = 1e-5, target = 2.5;
        string dir = RepoPaths.NewRunDirectory("dp");
        using var demo = CliProcess.Start(
            "demo", "--workers", "2", "--clients", "400", "--partition", "iid", "--rounds", "40", "--out", dir,
            "--sampling-rate", "0.1", "--noise-multiplier", "1.2", "--clip-norm", "adaptive", "--target-epsilon", "2.5", "--delta", "1e-5",
            "--train-limit", "2000", "--test-limit", "200", "--local-steps", "2", "--fraction-evaluate", "0", "--conv", "4,8", "--hidden", "16");
        int exit = await demo.WaitForExitAsync(TimeSpan.FromMinutes(4));
        Assert.True(exit == 0, demo.Output);
        Assert.Contains("privacy budget reached", demo.Output, StringComparison.Ordinal);

        var summary = RunSummary.Load(dir);
        var privacy = summary.GetProperty("privacy");
        Assert.Equal(q, privacy.GetProperty("sampling_rate").GetDouble());
        Assert.Equal(z, privacy.GetProperty("noise_multiplier").GetDouble());
        Assert.Equal("adaptive", privacy.GetProperty("clip_norm").GetString());
        var rounds = RunSummary.Rounds(summary);
        for (int i = 0; i < rounds.Length; i++)
        {
            // Exactly the planning CLI's figure for the same q, z, round count and delta.
            Assert.Equal(NoiseCalibration.Epsilon(q, z, i + 1, delta), rounds[i].GetProperty("epsilon").GetDouble(), 12);
        }

        Assert.True(rounds.Length < 40);
        Assert.True(NoiseCalibration.Epsilon(q, z, rounds.Length, delta) <= target);
        Assert.True(NoiseCalibration.Epsilon(q, z, rounds.Length + 1, delta) > target);
        // Adaptive clipping moved the clip norm away from its start.
        Assert.NotEqual(0.1, rounds[^1].GetProperty("clip_norm").GetDouble());
    }

    [Fact]
    public async Task Dp_over_a_server_optimizer_steps_it_with_the_noised_mean_and_spends_what_plain_dp_fedavg_does()
    {
        const double q = 0.5, z = 1.0, delta = 1e-5;
        string dir = RepoPaths.NewRunDirectory("dp-fedadam");
        using var demo = CliProcess.Start(
            "demo", "--workers", "2", "--clients", "40", "--partition", "iid", "--rounds", "3", "--out", dir,
            "--sampling-rate", "0.5", "--noise-multiplier", "1", "--clip-norm", "0.5", "--target-epsilon", "100", "--delta", "1e-5",
            "--strategy", "fedadam", "--strategy-param", "server_lr=0.05",
            "--train-limit", "600", "--test-limit", "200", "--local-steps", "2", "--fraction-evaluate", "0", "--conv", "4,8", "--hidden", "16");
        int exit = await demo.WaitForExitAsync(TimeSpan.FromMinutes(3));
        Assert.True(exit == 0, demo.Output);

        var summary = RunSummary.Load(dir);
        Assert.EndsWith("over fedadam(server_lr=0.05)", summary.GetProperty("strategy").GetString(), StringComparison.Ordinal);
        var rounds = RunSummary.Rounds(summary);
        Assert.Equal(3, rounds.Length);
        for (int i = 0; i < rounds.Length; i++)
        {
            // The optimizer only post-processes the release: ε is DP-FedAvg's, exactly.
            Assert.Equal(NoiseCalibration.Epsilon(q, z, i + 1, delta), rounds[i].GetProperty("epsilon").GetDouble(), 12);
        }
    }

    [Fact]
    public async Task Record_level_dp_sgd_is_accounted_per_client_by_its_worker()
    {
        const double sigma = 1.1, delta = 1e-5;
        const int steps = 10, batch = 32;
        string dir = RepoPaths.NewRunDirectory("dpsgd");
        using var demo = CliProcess.Start(
            "demo", "--workers", "2", "--rounds", "2", "--out", dir, "--partition", "iid", "--dp-sgd", "1.0,1.1",
            "--train-limit", "2000", "--test-limit", "200", "--local-steps", "10", "--batch-size", "32", "--fraction-evaluate", "0");
        int exit = await demo.WaitForExitAsync(TimeSpan.FromMinutes(3));
        Assert.True(exit == 0, demo.Output);

        var rounds = RunSummary.Rounds(RunSummary.Load(dir));
        for (int r = 0; r < rounds.Length; r++)
        {
            foreach (var client in rounds[r].GetProperty("clients").EnumerateArray())
            {
                // Each client trained in every round: (r + 1) × 10 Poisson-sampled steps at q = batch / n.
                double q = (double)batch / client.GetProperty("examples").GetInt64();
                double expected = NoiseCalibration.Epsilon(q, sigma, (r + 1) * steps, delta);
                Assert.Equal(expected, client.GetProperty("record_epsilon").GetDouble(), 9);
            }
        }
    }

    [Theory]
    [InlineData("--noise-multiplier", "-1", "NoiseMultiplier")]
    [InlineData("--noise-multiplier", "NaN", "NoiseMultiplier")]
    [InlineData("--delta", "1", "Delta")]
    [InlineData("--sampling-rate", "0", "SamplingRate")]
    [InlineData("--clip-norm", "0", "ClipNorm")]
    [InlineData("--target-epsilon", "0.01", "first round alone")]
    [InlineData("--strategy", "median", "strategy median does not aggregate a mean")]
    public async Task Bad_privacy_configuration_is_refused_before_anything_starts(string flag, string value, string named)
    {
        string dir = RepoPaths.NewRunDirectory("dp-bad");
        var arguments = new List<string> { "demo", "--workers", "1", "--rounds", "1", "--out", dir, "--clients", "10" };
        if (flag != "--noise-multiplier")
        {
            arguments.AddRange(["--noise-multiplier", "1"]);
        }

        arguments.AddRange([flag, value]);
        using var demo = CliProcess.Start([.. arguments]);
        Assert.Equal(2, await demo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(named, demo.Output, StringComparison.Ordinal);
        Assert.False(await TestDatabase.HasStateAsync(dir), "nothing may start");
    }
}
