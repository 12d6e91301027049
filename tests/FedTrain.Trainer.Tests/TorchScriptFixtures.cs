using FedTrain.Core.Models;

namespace FedTrain.Trainer.Tests;

/// <summary>
/// The committed files of tests/fixtures/torchscript, written by its make_fixtures.py with PyTorch: a scripted
/// SmallCnn and PyTorch's parameters after training it, and a module with the wrong number of outputs.
/// </summary>
internal static class TorchScriptFixtures
{
    public static string Directory { get; } = Path.Combine(FindRoot(), "tests", "fixtures", "torchscript");

    public static string SmallCnn => Path.Combine(Directory, "small_cnn.pt");

    public static string SmallCnnReference => Path.Combine(Directory, "small_cnn_reference.safetensors");

    public static string WrongClasses => Path.Combine(Directory, "wrong_classes.pt");

    public static ModelSpec Spec(string module) => ModelSpec.TorchScript(module, 1, 28, 28, 10);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FedTrain.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("FedTrain.sln not found above " + AppContext.BaseDirectory);
    }
}
