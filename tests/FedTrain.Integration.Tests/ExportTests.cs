using FedTrain.Core.Checkpoints;
using FedTrain.Core.Models;
using FedTrain.Integration.Tests.Support;
using FedTrain.Trainer;
using Xunit.Abstractions;

namespace FedTrain.Integration.Tests;

/// <summary><c>fedtrain export</c> of a zoo CNN checkpoint, loaded in PyTorch through the generated nn.Module, and its errors.</summary>
public sealed class ExportTests(ITestOutputHelper output)
{
    private static readonly ModelSpec Cnn = new("cnn", 1, 28, 28, 10, [8, 16], 32);

    [Fact]
    public async Task A_cnn_checkpoint_exports_to_a_state_dict_that_the_generated_module_loads()
    {
        string dir = WriteRun(round: 2);
        string stateDict = Path.Combine(dir, "export", "global.pt");

        using var export = CliProcess.Start("export", "--run", dir, "--round", "2", "--out", stateDict);
        Assert.True(await export.WaitForExitAsync(TimeSpan.FromMinutes(1)) == 0, export.Output);

        string module = Path.Combine(dir, "export", "global.py");
        Assert.Contains("class FedTrainCnn(nn.Module)", await File.ReadAllTextAsync(module), StringComparison.Ordinal);
        double difference = await ExportCheck.RunAsync(
            Cnn.ToNativeSpec(), Path.Combine(dir, "checkpoints", "round-0002.safetensors"), stateDict, "--module", module);
        output.WriteLine($"max |PyTorch - native| logit: {difference:E2}");
        Assert.InRange(difference, 0, ExportCheck.Tolerance);
    }

    [Fact]
    public async Task A_missing_round_is_refused_with_the_rounds_there_are()
    {
        string dir = WriteRun(round: 2);

        using var export = CliProcess.Start("export", "--run", dir, "--round", "5", "--out", Path.Combine(dir, "x.pt"));

        Assert.Equal(1, await export.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains("has no checkpoint for round 5; checkpoints exist for rounds 2", export.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "x.pt")));
    }

    [Fact]
    public async Task A_missing_run_directory_is_refused()
    {
        string dir = Path.Combine(Path.GetTempPath(), "fedtrain-tests", "no-such-run-" + Guid.NewGuid().ToString("N"));

        using var export = CliProcess.Start("export", "--run", dir, "--round", "1", "--out", Path.Combine(Path.GetTempPath(), "x.pt"));

        Assert.Equal(1, await export.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains($"Run directory '{dir}' does not exist", export.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_torchscript_export_of_a_run_without_recorded_preprocessing_is_refused()
    {
        string dir = WriteRun(round: 2);

        using var export = CliProcess.Start("export", "--run", dir, "--round", "2", "--out", Path.Combine(dir, "x.pt"), "--format", "torchscript");

        Assert.Equal(1, await export.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains($"--format torchscript carries the run's input preprocessing, but '{dir}' recorded none (input-preprocessing.json", export.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "x.torchscript.pt")));
    }

    [Fact]
    public async Task A_torchscript_export_without_a_python_interpreter_names_the_flag_to_give()
    {
        string dir = WriteRun(round: 2);
        Core.Data.Formats.InputPreprocessing.ForImages(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"], (1, 28, 28), Core.Data.Formats.ImageNormalization.FashionMnist).Write(dir);
        string python = Path.Combine(dir, "no-such-python3");

        using var export = CliProcess.Start("export", "--run", dir, "--round", "2", "--out", Path.Combine(dir, "x.pt"), "--format", "torchscript", "--python", python);

        Assert.Equal(1, await export.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains($"--format torchscript scripts the exported module in PyTorch, but '{python}' cannot be run", export.Output, StringComparison.Ordinal);
        Assert.Contains("--python", export.Output, StringComparison.Ordinal);
    }

    // A run directory as the coordinator leaves it: a checkpoint written the way RoundOrchestrator writes it.
    private static string WriteRun(int round)
    {
        string dir = RepoPaths.NewRunDirectory("export");
        Directory.CreateDirectory(Path.Combine(dir, "checkpoints"));
        using var trainer = NativeTrainer.Create(Cnn, new TrainerOptions("cpu", 1, 5));
        var weights = new float[trainer.ParameterCount];
        trainer.GetParameters(weights);
        SafetensorsFile.Write(
            Path.Combine(dir, "checkpoints", $"round-{round:D4}.safetensors"),
            trainer.Manifest,
            weights,
            new Dictionary<string, string> { ["run_id"] = "run-test", ["round"] = $"{round}", ["model"] = Cnn.ToNativeSpec() });
        return dir;
    }
}
