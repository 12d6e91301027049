using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary><c>fedtrain data inspect</c> on real folders and tables: what a worker would train on and what leaves the machine.</summary>
public sealed class DataInspectTests
{
    [Fact]
    public async Task Inspecting_an_image_folder_shows_classes_skipped_files_and_the_update_size()
    {
        string dir = RepoPaths.NewRunDirectory("inspect-images");
        var (images, labels) = DataFiles.FashionMnist(train: false, 60);
        DataFiles.WritePngFolder(dir, images, labels);
        string broken = Path.Combine(dir, "class-3", "scan.png");
        await File.WriteAllTextAsync(broken, "not a png");

        using var inspect = CliProcess.Start("data", "inspect", "--data", dir, "--max-skipped", "0.05");
        Assert.Equal(0, await inspect.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        string output = inspect.Output;
        Assert.Contains("Format: images", output, StringComparison.Ordinal);
        Assert.Contains("Examples: 60 in 10 classes", output, StringComparison.Ordinal);
        int shirts = labels.Count(l => l == 3);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("    3  class-3 ", StringComparison.Ordinal) && l.TrimEnd().EndsWith($" {shirts}", StringComparison.Ordinal));
        Assert.Contains("Input: 1x28x28 per example", output, StringComparison.Ordinal);
        Assert.Contains("Skipped files: 1", output, StringComparison.Ordinal);
        Assert.Contains($"  {broken}: not a readable image", output, StringComparison.Ordinal);
        // The zoo CNN's 421,642 parameters as float32.
        Assert.Contains("the model update, 1686568 bytes as float32", output, StringComparison.Ordinal);
        Assert.Contains("DP-SGD: off", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspecting_a_table_shows_its_first_rows_as_parsed_and_the_mlp_it_would_train()
    {
        using var inspect = CliProcess.Start(
            "data", "inspect", "--data", DataFiles.ModeChoiceCsv, "--label-column", "mode", "--feature-columns", "ttme,invc,invt,gc,hinc,psize", "--dp-sgd", "1.0,1.1");
        Assert.Equal(0, await inspect.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        string output = inspect.Output;
        Assert.Contains("Format: csv", output, StringComparison.Ordinal);
        Assert.Contains("Examples: 840 in 4 classes", output, StringComparison.Ordinal);
        Assert.Contains("Input: 6 features: ttme, invc, invt, gc, hinc, psize", output, StringComparison.Ordinal);
        Assert.Contains("  1: ttme=69, invc=59, invt=100, gc=70, hinc=35, psize=1", output, StringComparison.Ordinal);
        Assert.Contains("Model: kind=mlp;in=6;classes=4;hidden=64,64 (4868 parameters)", output, StringComparison.Ordinal);
        Assert.Contains("DP-SGD: on", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspecting_against_a_model_the_data_does_not_fit_refuses_with_the_reason()
    {
        using var inspect = CliProcess.Start(
            "data", "inspect", "--data", DataFiles.ModeChoiceCsv, "--label-column", "mode", "--model", "kind=mlp;in=5;classes=4");
        Assert.Equal(2, await inspect.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(
            $"data refused: {DataFiles.ModeChoiceCsv} gives 8 features (individual, choice, ttme, invc, invt, gc, hinc, psize), but the run's model",
            inspect.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_workers_help_lists_the_data_formats_and_flags()
    {
        using var help = CliProcess.Start("worker", "--help");
        Assert.Equal(0, await help.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        string text = string.Join(' ', help.Output.Split((char[])['\n', ' '], StringSplitOptions.RemoveEmptyEntries));
        foreach (string expected in new[]
        {
            "images (DIR/<class>/*.png|jpg|jpeg|bmp|webp)", "csv (CSV/TSV file with a header; --label-column)", "parquet", "text (folder of UTF-8 files, for lm)",
            "npy (folder with x.npy and y.npy)", "safetensors (file with tensors x and y)", "idx (MNIST's IDX files)",
            "--data-format", "--label-column", "--feature-columns", "--classes", "--model",
        })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
    }
}
