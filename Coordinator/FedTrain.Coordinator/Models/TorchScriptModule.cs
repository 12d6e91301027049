using System.Security.Cryptography;
using FedTrain.Core.Models;

namespace FedTrain.Coordinator.Models;

/// <summary>
/// A run's TorchScript archive as the coordinator serves it: the bytes, their SHA-256, and the copy kept in the run
/// directory (<c>modules/SHA256.pt</c>), so that the run, its resumption and <c>fedtrain export</c> never depend on
/// the file the user pointed at staying where it was.
/// </summary>
public sealed class TorchScriptModule
{
    private TorchScriptModule(string source, string path, byte[] bytes, string sha256)
    {
        Source = source;
        Path = path;
        Bytes = bytes;
        Sha256 = sha256;
    }

    /// <summary>The file the run was started with.</summary>
    public string Source { get; }

    /// <summary>The copy in the run directory.</summary>
    public string Path { get; }

    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>Lower-case hex SHA-256 of <see cref="Bytes"/>.</summary>
    public string Sha256 { get; }

    /// <summary>Folder of a run directory holding its TorchScript archives.</summary>
    public static string DirectoryOf(string runDirectory) => System.IO.Path.Combine(runDirectory, "modules");

    /// <summary>
    /// For a torchscript spec, reads the archive, stores it in the run directory and returns it with the spec that
    /// points at that copy and carries its hash; for any other kind, null and the spec unchanged.
    /// </summary>
    /// <exception cref="ArgumentException">The file does not exist or cannot be read.</exception>
    public static (TorchScriptModule? Module, ModelSpec Spec) Prepare(ModelSpec spec, string runDirectory)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Kind != ModelSpec.TorchScriptKind)
        {
            return (null, spec);
        }

        string source = spec.Module ?? throw new ArgumentException("Option Model: a torchscript model needs its module file.", nameof(spec));
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(source);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Option Model: cannot read the TorchScript module '{source}': {ex.Message}", nameof(spec), ex);
        }

        string sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        string directory = DirectoryOf(runDirectory);
        Directory.CreateDirectory(directory);
        string copy = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, sha256 + ".pt"));
        if (!File.Exists(copy))
        {
            string temporary = copy + ".tmp";
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, copy, overwrite: true);
        }

        return (new TorchScriptModule(source, copy, bytes, sha256), spec with { Module = copy, ModuleSha256 = sha256 });
    }
}
