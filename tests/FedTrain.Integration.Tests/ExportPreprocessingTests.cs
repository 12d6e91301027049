using System.Diagnostics;
using System.Globalization;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary>
/// The run's input preprocessing reaches the export: the exported zoo module, loaded in Debian's python3-torch, takes
/// raw inputs (table rows as written, pixel values 0..255) and scores the coordinator's test set exactly as the
/// coordinator did; so does the TorchScript archive of <c>--format torchscript</c>, read with <c>torch.jit.load</c>
/// alone, which carries the run's class names: for the zoo's cnn and mlp, and for a run of its own TorchScript module.
/// </summary>
public sealed class ExportPreprocessingTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_table_runs_export_standardises_raw_rows_and_names_the_classes()
    {
        string dir = RepoPaths.NewRunDirectory("export-table");
        string[] lines = await File.ReadAllLinesAsync(DataFiles.ModeChoiceCsv);
        string train = Path.Combine(dir, "train.csv");
        string test = Path.Combine(dir, "test.csv");
        await File.WriteAllLinesAsync(train, [lines[0], .. lines.Skip(1).Where((_, i) => i % 5 != 4)]);
        await File.WriteAllLinesAsync(test, [lines[0], .. lines.Skip(1).Where((_, i) => i % 5 == 4)]);

        double coordinator = await RunAndExport(
            dir, "--data", train, "--test-data", test, "--label-column", "mode", "--feature-columns", "ttme,invc,invt,gc,hinc,psize");
        double raw = await RawAccuracy(dir, false, "--csv", test, "--label-column", "mode");
        double scripted = await RawAccuracy(dir, true, "--csv", test, "--label-column", "mode");

        Assert.True(coordinator > 0.5, $"the run learns ({coordinator})");
        Assert.Equal(coordinator, raw, 9);
        Assert.Equal(coordinator, scripted, 9);
    }

    [Fact]
    public async Task An_image_runs_export_normalises_raw_pixels_and_names_the_classes()
    {
        string dir = RepoPaths.NewRunDirectory("export-images");
        var (trainImages, trainLabels) = DataFiles.FashionMnist(train: true, 1200);
        var (testImages, testLabels) = DataFiles.FashionMnist(train: false, 300);
        DataFiles.WritePngFolder(Path.Combine(dir, "train"), trainImages, trainLabels);
        DataFiles.WritePngFolder(Path.Combine(dir, "test"), testImages, testLabels);
        // The same test images as raw bytes, for PyTorch.
        DataFiles.WriteIdx(Path.Combine(dir, "raw"), train: false, testImages, testLabels);

        double coordinator = await RunAndExport(
            dir, "--data", Path.Combine(dir, "train"), "--test-data", Path.Combine(dir, "test"), "--conv", "8,16", "--hidden", "32");
        string[] rawImages = ["--idx-images", Path.Combine(dir, "raw", "t10k-images-idx3-ubyte"), "--idx-labels", Path.Combine(dir, "raw", "t10k-labels-idx1-ubyte")];
        double raw = await RawAccuracy(dir, false, rawImages);
        double scripted = await RawAccuracy(dir, true, rawImages);

        Assert.True(coordinator > 0.3, $"the run learns ({coordinator})");
        Assert.Equal(coordinator, raw, 9);
        Assert.Equal(coordinator, scripted, 9);
    }

    [Fact]
    public async Task A_torchscript_runs_export_wraps_its_own_module_in_the_runs_preprocessing()
    {
        string dir = RepoPaths.NewRunDirectory("export-torchscript");
        // The run's test set is the first 300 Fashion-MNIST test images (IDX); the same images as raw bytes, for PyTorch.
        var (testImages, testLabels) = DataFiles.FashionMnist(train: false, 300);
        DataFiles.WriteIdx(Path.Combine(dir, "raw"), train: false, testImages, testLabels);

        double coordinator = await RunAndExport(
            dir, "--torchscript", Path.Combine(RepoPaths.Root, "tests", "fixtures", "torchscript", "small_cnn.pt"),
            "--train-limit", "1000", "--test-limit", "300", "--local-steps", "20");
        string[] rawImages = ["--idx-images", Path.Combine(dir, "raw", "t10k-images-idx3-ubyte"), "--idx-labels", Path.Combine(dir, "raw", "t10k-labels-idx1-ubyte")];
        double raw = await RawAccuracy(dir, false, rawImages);
        double scripted = await RawAccuracy(dir, true, rawImages);

        Assert.True(coordinator > 0.3, $"the run learns ({coordinator})");
        Assert.Equal(coordinator, raw, 9);
        Assert.Equal(coordinator, scripted, 9);
    }

    private static async Task<double> RunAndExport(string dir, params string[] data)
    {
        string run = Path.Combine(dir, "run");
        using (var demo = CliProcess.Start(["demo", "--workers", "2", "--rounds", "2", "--partition", "iid", "--seed", "3", "--out", run, .. data]))
        {
            Assert.True(await demo.WaitForExitAsync(RunTimeout) == 0, demo.Output);
        }

        using var export = CliProcess.Start("export", "--run", run, "--round", "2", "--out", Path.Combine(dir, "export", "global.pt"), "--format", "torchscript", "--python", "/usr/bin/python3");
        Assert.True(await export.WaitForExitAsync(TimeSpan.FromMinutes(1)) == 0, export.Output);
        return RunSummary.Load(run).GetProperty("final").GetProperty("test_accuracy").GetDouble();
    }

    private static async Task<double> RawAccuracy(string dir, bool torchScript, params string[] inputs)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tests", "FedTrain.Integration.Tests", "python", "check_raw_accuracy.py"));
        // The archive alone, or the module source with the state dict.
        string[] classifier = torchScript
            ? ["--torchscript", Path.Combine(dir, "export", "global.torchscript.pt")]
            : [Path.Combine(dir, "export", "global.py"), Path.Combine(dir, "export", "global.pt")];
        foreach (string argument in classifier.Concat(inputs))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("/usr/bin/python3 did not start.");
        string output = await process.StandardOutput.ReadToEndAsync();
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"check_raw_accuracy.py exited {process.ExitCode}: {output}{error}");
        // The classifier names the run's classes, in the run's order.
        string names = output.Split('\n').Single(l => l.StartsWith("class_names=", StringComparison.Ordinal))["class_names=".Length..];
        using (var run = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "run", "input-preprocessing.json"))))
        {
            Assert.Equal(run.RootElement.GetProperty("class_names").EnumerateArray().Select(e => e.GetString()), System.Text.Json.JsonSerializer.Deserialize<string[]>(names));
        }

        string line = output.Split('\n').Single(l => l.StartsWith("accuracy=", StringComparison.Ordinal));
        return double.Parse(line["accuracy=".Length..], CultureInfo.InvariantCulture);
    }
}
