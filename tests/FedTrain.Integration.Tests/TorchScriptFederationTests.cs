using System.Security.Cryptography;
using FedTrain.Core.Checkpoints;
using FedTrain.Integration.Tests.Support;
using FedTrain.Trainer;
using Xunit.Abstractions;

namespace FedTrain.Integration.Tests;

/// <summary>
/// A TorchScript module exported from PyTorch (tests/fixtures/torchscript) trained by real coordinator and worker
/// processes, exported with <c>fedtrain export</c> and loaded back in PyTorch; and bad modules refused at start.
/// </summary>
public sealed class TorchScriptFederationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    private static string Fixture(string name) => Path.Combine(RepoPaths.Root, "tests", "fixtures", "torchscript", name);

    [Fact]
    public async Task A_scripted_cnn_trains_in_a_federation_and_its_export_loads_in_PyTorch()
    {
        string dir = RepoPaths.NewRunDirectory("torchscript");
        byte[] fixture = await File.ReadAllBytesAsync(Fixture("small_cnn.pt"));
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(fixture));
        // A cached copy that no longer matches its hash must be fetched again, never loaded.
        string tampered = Path.Combine(dir, "state", "worker-1", "modules", sha256 + ".pt");
        Directory.CreateDirectory(Path.GetDirectoryName(tampered)!);
        await File.WriteAllTextAsync(tampered, "tampered");
        using var demo = CliProcess.Start(
            "demo", "--workers", "2", "--rounds", "1", "--out", dir, "--partition", "iid", "--seed", "7",
            "--torchscript", Fixture("small_cnn.pt"), "--train-limit", "2000", "--test-limit", "500",
            "--local-steps", "30", "--batch-size", "32", "--fraction-evaluate", "0");
        int exit = await demo.WaitForExitAsync(RunTimeout);
        Assert.True(exit == 0, demo.Output);

        var summary = RunSummary.Load(dir);
        Assert.Equal("torchscript", summary.GetProperty("model").GetString());
        var round = Assert.Single(RunSummary.Rounds(summary));
        Assert.Equal(2, round.GetProperty("participants").GetInt32());
        double accuracy = round.GetProperty("test_accuracy").GetDouble();
        output.WriteLine($"test accuracy after one round: {accuracy:F3}");
        // Measured 0.59-0.75 (each worker's shuffle differs from run to run); chance is 0.1.
        Assert.True(accuracy > 0.4, $"accuracy {accuracy}\n{demo.Output}");

        // The coordinator kept the archive under its hash, and each worker fetched and cached the same bytes.
        string runCopy = Path.Combine(dir, "modules", sha256 + ".pt");
        Assert.Equal(fixture, await File.ReadAllBytesAsync(runCopy));
        foreach (string worker in new[] { "worker-1", "worker-2" })
        {
            Assert.Equal(fixture, await File.ReadAllBytesAsync(Path.Combine(dir, "state", worker, "modules", sha256 + ".pt")));
        }

        // Batch-norm running statistics travel with the parameters and are averaged: they left their initial zeros.
        string checkpoint = Path.Combine(dir, "checkpoints", "round-0001.safetensors");
        string spec = $"kind=torchscript;module={runCopy};in=1,28,28;classes=10";
        using (var trainer = NativeTrainer.Create(spec, new TrainerOptions("cpu", 1, 1)))
        {
            var weights = SafetensorsFile.Read(checkpoint, trainer.Manifest);
            var mean = trainer.Manifest.Tensors.Single(t => t.Name == "features.1.running_mean");
            Assert.Contains(weights.AsSpan((int)mean.Offset, (int)mean.Length).ToArray(), v => v != 0);
        }

        string stateDict = Path.Combine(dir, "export", "model.pt");
        using var export = CliProcess.Start("export", "--run", dir, "--round", "1", "--out", stateDict);
        Assert.True(await export.WaitForExitAsync(TimeSpan.FromMinutes(1)) == 0, export.Output);
        string scripted = Path.Combine(dir, "export", "model.torchscript.pt");
        Assert.True(File.Exists(scripted), export.Output);

        double difference = await ExportCheck.RunAsync(spec, checkpoint, stateDict, "--torchscript", scripted);
        output.WriteLine($"max |PyTorch - native| logit: {difference:E2}");
        Assert.InRange(difference, 0, ExportCheck.Tolerance);
    }

    [Theory]
    [InlineData("wrong_classes.pt", "must return float logits [2, 10]")]
    [InlineData("garbage", "cannot be loaded")]
    [InlineData("missing", "cannot read the TorchScript module")]
    public async Task A_module_that_does_not_fit_is_refused_when_the_demo_starts(string module, string reason)
    {
        string dir = RepoPaths.NewRunDirectory("badmodule");
        string path = module switch
        {
            "garbage" => Path.Combine(dir, "garbage.pt"),
            "missing" => Path.Combine(dir, "no-such-file.pt"),
            _ => Fixture(module),
        };
        if (module == "garbage")
        {
            await File.WriteAllTextAsync(path, "not a TorchScript archive");
        }

        using var demo = CliProcess.Start(
            "demo", "--workers", "2", "--rounds", "1", "--out", dir, "--torchscript", path, "--test-limit", "100");
        int exit = await demo.WaitForExitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(2, exit);
        Assert.Contains(reason, demo.Output, StringComparison.Ordinal);
        Assert.Contains(path, demo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", demo.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "logs")) && Directory.GetFiles(Path.Combine(dir, "logs"), "worker-*.log").Length > 0);
    }
}
