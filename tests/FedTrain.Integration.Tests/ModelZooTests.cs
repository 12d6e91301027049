using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary>
/// The Transformer kinds in real federations (coordinator and worker processes over loopback gRPC), FedProx wired
/// from the strategy flag to the workers, and model specs that cannot work refused before anything starts.
/// </summary>
public sealed class ModelZooTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Tiny_vit_federation_with_fedprox_learns_in_two_rounds()
    {
        string dir = RepoPaths.NewRunDirectory("vit");
        using var demo = CliProcess.Start(
            "demo", "--model", "kind=vit;patch=7;dim=32;depth=1;heads=4;mlp=64", "--workers", "2", "--rounds", "2",
            "--out", dir, "--partition", "iid", "--seed", "7", "--train-limit", "3000", "--test-limit", "500",
            "--local-steps", "40", "--strategy", "fedprox", "--strategy-param", "proximal_mu=0.01");
        int exit = await demo.WaitForExitAsync(RunTimeout);
        Assert.True(exit == 0, demo.Output);

        var summary = RunSummary.Load(dir);
        Assert.Equal("vit", summary.GetProperty("model").GetString());
        Assert.Equal("fedprox(proximal_mu=0.01)", summary.GetProperty("strategy").GetString());
        var rounds = RunSummary.Rounds(summary);
        Assert.Equal(2, rounds.Length);
        Assert.All(rounds, r => Assert.Equal(2, r.GetProperty("participants").GetInt32()));
        Assert.False(rounds[0].TryGetProperty("perplexity", out _));
        // 40 Adam steps of 64 images per round lift even this one-block ViT well above chance (0.1).
        double final = summary.GetProperty("final").GetProperty("test_accuracy").GetDouble();
        Assert.True(final > 0.35, $"final accuracy {final}\n{demo.Output}");
    }

    [Fact]
    public async Task Byte_lm_federation_on_fortunes_lowers_perplexity_round_over_round()
    {
        string dir = RepoPaths.NewRunDirectory("lm");
        using var demo = CliProcess.Start(
            "demo", "--model", "kind=lm;seq=32;dim=32;depth=1;heads=2;mlp=64", "--workers", "2", "--rounds", "2",
            "--out", dir, "--seed", "7", "--train-limit", "3000", "--test-limit", "300", "--local-steps", "25");
        int exit = await demo.WaitForExitAsync(RunTimeout);
        Assert.True(exit == 0, demo.Output);

        var summary = RunSummary.Load(dir);
        Assert.Equal("lm", summary.GetProperty("model").GetString());
        var perplexities = RunSummary.Rounds(summary).Select(r => r.GetProperty("perplexity").GetDouble()).ToList();
        Assert.Equal(2, perplexities.Count);
        Assert.True(perplexities[0] < 256 && perplexities[1] < perplexities[0], $"perplexity by round: {string.Join(", ", perplexities)}\n{demo.Output}");
        Assert.Equal(perplexities[^1], summary.GetProperty("final").GetProperty("perplexity").GetDouble());
        Assert.Contains("perplexity", demo.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kind=vit;patch=5", "patch 5 does not divide the 28x28 input")]
    [InlineData("kind=vit;heads=3", "dim 64 is not divisible by heads 3")]
    [InlineData("kind=vit;colour=red", "Unknown key 'colour' in model spec for kind 'vit'")]
    [InlineData("kind=rnn", "Unknown model kind 'rnn'")]
    [InlineData("kind=vit;in=3,32,32;patch=8", "expects 3x32x32 inputs, but the test data in /usr/share/datasets/fashion-mnist holds 1x28x28 examples")]
    [InlineData("kind=lm;dim=30", "dim 30 is not divisible by heads 4")]
    public async Task Model_specs_that_cannot_work_are_refused_at_start(string spec, string named)
    {
        string dir = RepoPaths.NewRunDirectory("bad-model");
        using var demo = CliProcess.Start("demo", "--workers", "1", "--rounds", "1", "--out", dir, "--model", spec);
        Assert.Equal(2, await demo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(named, demo.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "logs", "worker-1.log")), "no worker may start for a refused spec");
    }

    [Fact]
    public async Task Negative_proximal_mu_is_refused_at_start()
    {
        string dir = RepoPaths.NewRunDirectory("bad-prox");
        using var demo = CliProcess.Start("demo", "--workers", "1", "--rounds", "1", "--out", dir, "--strategy", "fedprox", "--strategy-param", "proximal_mu=-0.5");
        Assert.Equal(2, await demo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("proximal_mu must be a finite number >= 0", demo.Output, StringComparison.Ordinal);
    }
}
