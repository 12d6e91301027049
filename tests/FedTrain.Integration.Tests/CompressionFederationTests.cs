using System.Text.Json;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary>A real local federation (coordinator and worker processes over loopback gRPC) with compressed updates.</summary>
public sealed class CompressionFederationTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Int8_compressed_updates_train_the_federation_at_a_quarter_of_the_upload_bytes()
    {
        var (summary, rounds, output) = await RunDemoAsync("int8");
        long parameters = 0;
        foreach (var round in rounds)
        {
            // P int8 values plus one float32 scale per 4096: a quarter of float32's 4P, and a little more.
            long updateBytes = round.GetProperty("update_bytes").GetInt64();
            parameters = Int8Parameters(updateBytes);
            Assert.InRange(updateBytes / (4.0 * parameters), 0.25, 0.2503);
            Assert.Equal(2 * updateBytes, round.GetProperty("upload_bytes").GetInt64());
        }

        Assert.True(parameters > 100_000, $"{parameters} parameters");
        Assert.Equal(2 * 2 * rounds[0].GetProperty("update_bytes").GetInt64(), summary.GetProperty("final").GetProperty("upload_bytes").GetInt64());

        // The same 80 SGD steps of 32 images as the float32 demo test, far above chance (0.1) on the 1,000 test images.
        double final = summary.GetProperty("final").GetProperty("test_accuracy").GetDouble();
        Assert.True(final > 0.5, $"final accuracy {final}\n{output}");
    }

    [Fact]
    public async Task Top_k_updates_train_the_federation_at_a_sixth_of_the_upload_bytes()
    {
        var (summary, rounds, output) = await RunDemoAsync("topk:0.1");
        foreach (var round in rounds)
        {
            // The demo CNN's 421,642 parameters are 103 blocks of 4096 (the last 3,850 long), each sending
            // m = ⌈0.1 × 4096⌉ = 410 values as a uint16 offset and a float32: 6 × 410 × 103 bytes, 15 % of float32.
            Assert.Equal(6L * 410 * 103, round.GetProperty("update_bytes").GetInt64());
            Assert.Equal(2 * 6L * 410 * 103, round.GetProperty("upload_bytes").GetInt64());
        }

        // Two rounds of 40 SGD steps from 10 % of each block's values (error feedback carries the rest): far above
        // chance (0.1) on the 1,000 test images.
        double final = summary.GetProperty("final").GetProperty("test_accuracy").GetDouble();
        Assert.True(final > 0.5, $"final accuracy {final}\n{output}");
    }

    /// <summary>
    /// Two rounds of the demo, 2 workers, 40 local SGD steps of 32 images a round, with <paramref name="compression"/>; checks
    /// that both rounds committed with both participants and no failure, under the summary's name for the choice.
    /// </summary>
    private static async Task<(JsonElement Summary, IReadOnlyList<JsonElement> Rounds, string Output)> RunDemoAsync(string compression)
    {
        string dir = RepoPaths.NewRunDirectory(compression.Replace(':', '-'));
        using var demo = CliProcess.Start(
            "demo", "--workers", "2", "--rounds", "2", "--out", dir, "--partition", "iid", "--seed", "7",
            "--train-limit", "4000", "--test-limit", "1000", "--local-steps", "40", "--batch-size", "32",
            "--update-compression", compression);
        int exit = await demo.WaitForExitAsync(RunTimeout);
        Assert.True(exit == 0, demo.Output);

        var summary = RunSummary.Load(dir);
        Assert.Equal(compression, summary.GetProperty("update_compression").GetString());
        var rounds = RunSummary.Rounds(summary);
        Assert.Equal([1, 2], rounds.Select(r => r.GetProperty("round").GetInt32()));
        foreach (var round in rounds)
        {
            Assert.Equal(2, round.GetProperty("participants").GetInt32());
            Assert.Empty(round.GetProperty("failures").EnumerateArray());
        }

        return (summary, rounds, demo.Output);
    }

    /// <summary>The P whose int8 encoding (ceil(P / 4096) scales, then P bytes) takes <paramref name="bytes"/>; fails if none does.</summary>
    private static long Int8Parameters(long bytes)
    {
        for (long blocks = 1; blocks * 4 < bytes; blocks++)
        {
            long parameters = bytes - (4 * blocks);
            if ((parameters + 4095) / 4096 == blocks)
            {
                return parameters;
            }
        }

        Assert.Fail($"{bytes} bytes is not the size of any int8 update");
        return 0;
    }
}
