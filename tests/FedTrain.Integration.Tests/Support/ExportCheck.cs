using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using FedTrain.Core.Checkpoints;
using FedTrain.Core.Data;
using FedTrain.Trainer;

namespace FedTrain.Integration.Tests.Support;

/// <summary>
/// Loads a <c>fedtrain export</c> in Debian's python3-torch (python/check_export.py) and compares its logits on the
/// first test images with the native trainer's logits for the same checkpoint.
/// </summary>
internal static class ExportCheck
{
    /// <summary>Largest |PyTorch − native| logit accepted; see docs/torchscript.md.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Runs the check; returns the measured maximum logit difference.</summary>
    public static async Task<double> RunAsync(string nativeSpec, string checkpoint, string stateDict, string pythonFlag, string pythonFile)
    {
        string work = Path.Combine(Path.GetDirectoryName(stateDict)!, "check");
        Directory.CreateDirectory(work);
        var images = FashionMnist.Load(FashionMnist.DefaultDirectory, train: false, limit: 32);
        using (var trainer = NativeTrainer.Create(nativeSpec, new TrainerOptions("cpu", 1, 1)))
        {
            trainer.SetParameters(SafetensorsFile.Read(checkpoint, trainer.Manifest));
            await File.WriteAllBytesAsync(Path.Combine(work, "logits.f32"), MemoryMarshal.AsBytes(trainer.Logits(images).AsSpan()).ToArray());
            await File.WriteAllTextAsync(
                Path.Combine(work, "expected.json"),
                JsonSerializer.Serialize(trainer.Manifest.Tensors.Select(t => new { name = t.Name, shape = t.Shape })));
        }

        await File.WriteAllBytesAsync(Path.Combine(work, "inputs.f32"), MemoryMarshal.AsBytes(images.Images.AsSpan()).ToArray());

        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tests", "FedTrain.Integration.Tests", "python", "check_export.py"));
        foreach (string argument in new[]
        {
            stateDict, Path.Combine(work, "expected.json"), Path.Combine(work, "inputs.f32"), Path.Combine(work, "logits.f32"),
            pythonFlag, pythonFile, "--tolerance", Tolerance.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("/usr/bin/python3 did not start.");
        string output = await process.StandardOutput.ReadToEndAsync();
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"check_export.py exited {process.ExitCode}: {output}{error}");
        string line = output.Split('\n').Single(l => l.StartsWith("max_abs_logit_difference=", StringComparison.Ordinal));
        return double.Parse(line["max_abs_logit_difference=".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
