using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace FedTrain.Cli.Export;

/// <summary>
/// Writes the exported classifier (<c>FedTrainClassifier</c>: the run's preprocessing, then the trained network, with
/// its class and feature names) as a TorchScript archive, by scripting the exported module in PyTorch. libtorch in C++
/// cannot compile Python modules, and the exported source is the one definition of the preprocessing: scripting it
/// keeps the archive and the module the same computation.
/// </summary>
internal static class TorchScriptClassifier
{
    // The network is traced (its zoo source loops over layers by attribute name, which TorchScript cannot compile; a
    // fixed architecture traces exactly), the classifier around it is scripted, so that the preprocessing keeps its
    // branches for other image sizes and grey inputs. The run's preprocessing record travels as an extra file.
    private const string Script = """
        import importlib.util
        import sys

        import torch

        module_file, state_dict, example, output, record = sys.argv[1:6]
        spec = importlib.util.spec_from_file_location("fedtrain_exported", module_file)
        exported = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(exported)
        classifier = exported.load(state_dict)
        with torch.no_grad():
            classifier.model = torch.jit.trace(classifier.model, torch.zeros([2] + [int(d) for d in example.split(",")]))
        scripted = torch.jit.script(classifier)
        with open(record) as f:
            torch.jit.save(scripted, output, _extra_files={"fedtrain/input-preprocessing.json": f.read()})
        """;

    /// <summary>Scripts the exported module <paramref name="moduleFile"/> with the weights in <paramref name="stateDict"/> into <paramref name="output"/>.</summary>
    /// <param name="python">The Python interpreter with PyTorch to script with.</param>
    /// <param name="inputShape">The network's input shape per example (C, H, W; 1, 1, D for tables).</param>
    /// <param name="record">The run's <c>input-preprocessing.json</c>, stored in the archive.</param>
    public static void Write(string python, string moduleFile, string stateDict, IReadOnlyList<int> inputShape, string record, string output)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[]
        {
            "-c", Script, Path.GetFullPath(moduleFile), Path.GetFullPath(stateDict),
            string.Join(",", inputShape.Select(d => d.ToString(CultureInfo.InvariantCulture))), Path.GetFullPath(output), Path.GetFullPath(record),
        })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ExportException($"'{python}' did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new ExportException(
                $"--format torchscript scripts the exported module in PyTorch, but '{python}' cannot be run ({ex.Message}); install Python 3 with PyTorch (Debian: python3-torch) or name the interpreter with --python.", ex);
        }

        using (process)
        {
            var error = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                string text = error.GetAwaiter().GetResult().Trim();
                string hint = text.Contains("No module named 'torch'", StringComparison.Ordinal)
                    ? $" '{python}' has no PyTorch: install it (Debian: python3-torch) or name an interpreter that has it with --python."
                    : string.Empty;
                throw new ExportException($"Scripting the exported module with '{python}' failed (exit code {process.ExitCode}):{hint} {Tail(text)}");
            }
        }
    }

    // The interpreter's traceback ends with the error itself; its last lines are what the operator needs.
    private static string Tail(string text)
    {
        string[] lines = text.Split('\n');
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 8)));
    }
}
