using System.Globalization;
using FedTrain.Core.Checkpoints;
using FedTrain.Trainer;

namespace FedTrain.Cli.Export;

/// <summary>
/// Turns a run's safetensors checkpoint into files a data scientist loads in PyTorch: always a state dict
/// (<c>torch.load</c>) with PyTorch names; for the zoo CNN and MLP, a Python module defining the matching <c>nn.Module</c>
/// and, when the run recorded it, its input preprocessing and class names (<c>FedTrainClassifier</c>, <c>load()</c>),
/// which <c>--format torchscript</c> also scripts into an archive (<see cref="TorchScriptClassifier"/>); for a
/// TorchScript run, the module itself with the round's weights (<c>torch.jit.load</c>), or with <c>--format
/// torchscript</c> that module behind the run's preprocessing.
/// </summary>
internal static class ModelExporter
{
    /// <summary>Writes the export of round <paramref name="round"/> and returns the paths written.</summary>
    /// <exception cref="ExportException">No such run directory or round, or a checkpoint that cannot be read.</exception>
    /// <param name="torchScript">Also script the classifier (preprocessing, network, class names) into
    /// <c>NAME.torchscript.pt</c>, with <paramref name="python"/>'s PyTorch; zoo <c>cnn</c>, <c>mlp</c> and TorchScript runs that recorded their preprocessing.</param>
    public static IReadOnlyList<string> Export(string runDirectory, int round, string output, bool torchScript = false, string python = "python3")
    {
        if (!Directory.Exists(runDirectory))
        {
            throw new ExportException($"Run directory '{runDirectory}' does not exist.");
        }

        if (round < 1)
        {
            throw new ExportException($"--round must be at least 1, got {round}.");
        }

        if (string.Equals(Path.GetExtension(output), ".py", StringComparison.OrdinalIgnoreCase))
        {
            throw new ExportException($"--out '{output}' is the name of the Python module the export writes beside the state dict; name the state dict e.g. model.pt.");
        }

        var preprocessing = Core.Data.Formats.InputPreprocessing.Read(runDirectory);
        string checkpoint = Path.Combine(runDirectory, "checkpoints", $"round-{round:D4}.safetensors");
        if (!File.Exists(checkpoint))
        {
            throw new ExportException($"Run '{runDirectory}' has no checkpoint for round {round}; {DescribeRounds(runDirectory)}.");
        }

        NativeSpecText spec;
        try
        {
            spec = NativeSpecText.Parse(SafetensorsFile.ReadMetadata(checkpoint).GetValueOrDefault("model")
                ?? throw new ExportException($"{checkpoint} does not record its model spec (metadata 'model')."));
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or System.Text.Json.JsonException)
        {
            throw new ExportException($"{checkpoint} cannot be read: {ex.Message}", ex);
        }

        if (spec.Kind == Core.Models.ModelSpec.TorchScriptKind)
        {
            spec = spec.With("module", LocateModule(runDirectory, spec["module"]));
        }

        bool classifier = spec.Kind is "cnn" or "mlp" or Core.Models.ModelSpec.TorchScriptKind;
        if (torchScript && (!classifier || preprocessing is null))
        {
            throw new ExportException(classifier
                ? $"--format torchscript carries the run's input preprocessing, but '{runDirectory}' recorded none ({Core.Data.Formats.InputPreprocessing.FileName}; runs before it was recorded)."
                : $"--format torchscript exports classifiers (cnn, mlp, a TorchScript module) with their preprocessing; this run's model is {spec.Kind}.");
        }

        string? directory = Path.GetDirectoryName(Path.GetFullPath(output));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        using var trainer = NativeTrainer.Create(spec.ToString(), new TrainerOptions("cpu", 1, 1));
        try
        {
            trainer.SetParameters(SafetensorsFile.Read(checkpoint, trainer.Manifest));
        }
        catch (InvalidDataException ex)
        {
            throw new ExportException($"{checkpoint} does not hold the weights of model '{spec}': {ex.Message}", ex);
        }

        var written = new List<string> { output };
        trainer.SaveStateDict(output);
        if (spec.Kind is "cnn" or "mlp")
        {
            string module = Path.ChangeExtension(output, ".py");
            string source = spec.Kind == "cnn" ? PyTorchCnnSource.Generate(spec, output) : PyTorchMlpSource.Generate(spec, output);
            if (preprocessing is not null)
            {
                source += PyTorchPreprocessingSource.Generate(
                    preprocessing, spec.Kind == "cnn" ? PyTorchCnnSource.ClassName : PyTorchMlpSource.ClassName, output);
            }

            File.WriteAllText(module, source);
            written.Add(module);
            if (torchScript)
            {
                string scripted = Path.ChangeExtension(output, ".torchscript.pt");
                int[] input = spec.Kind == "cnn" ? spec.Integers("in") : [1, 1, int.Parse(spec["in"], CultureInfo.InvariantCulture)];
                TorchScriptClassifier.Write(python, module, output, input, Path.Combine(runDirectory, Core.Data.Formats.InputPreprocessing.FileName), scripted);
                written.Add(scripted);
            }
        }
        else if (spec.Kind == Core.Models.ModelSpec.TorchScriptKind && torchScript)
        {
            // The run's own module with the round's weights, then the classifier around it, scripted like the zoo's.
            string network = Path.ChangeExtension(output, ".network.pt");
            trainer.SaveTorchScript(network);
            string module = Path.ChangeExtension(output, ".py");
            File.WriteAllText(module, PyTorchTorchScriptRunSource.Generate(preprocessing!, network, output));
            string scripted = Path.ChangeExtension(output, ".torchscript.pt");
            TorchScriptClassifier.Write(python, module, output, spec.Integers("in"), Path.Combine(runDirectory, Core.Data.Formats.InputPreprocessing.FileName), scripted);
            written.AddRange([network, module, scripted]);
        }
        else if (spec.Kind == Core.Models.ModelSpec.TorchScriptKind)
        {
            string scripted = Path.ChangeExtension(output, ".torchscript.pt");
            trainer.SaveTorchScript(scripted);
            written.Add(scripted);
        }

        return written;
    }

    // The run directory keeps its own copy of the module (modules/SHA256.pt); prefer it, so a moved run still exports.
    private static string LocateModule(string runDirectory, string recorded)
    {
        string local = Path.Combine(Coordinator.Models.TorchScriptModule.DirectoryOf(runDirectory), Path.GetFileName(recorded));
        if (File.Exists(local))
        {
            return Path.GetFullPath(local);
        }

        return File.Exists(recorded)
            ? recorded
            : throw new ExportException($"The run's TorchScript module is neither at '{local}' nor at '{recorded}'.");
    }

    private static string DescribeRounds(string runDirectory)
    {
        string folder = Path.Combine(runDirectory, "checkpoints");
        var rounds = Directory.Exists(folder)
            ? Directory.GetFiles(folder, "round-*.safetensors")
                .Select(f => Path.GetFileNameWithoutExtension(f)["round-".Length..])
                .Where(r => int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                .Select(r => int.Parse(r, CultureInfo.InvariantCulture))
                .Order()
                .ToList()
            : [];
        return rounds.Count == 0 ? "it has no checkpoints yet" : "checkpoints exist for rounds " + string.Join(", ", rounds);
    }
}
