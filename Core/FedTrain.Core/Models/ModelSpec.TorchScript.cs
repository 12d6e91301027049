using System.Globalization;
using System.Text.Json.Serialization;

namespace FedTrain.Core.Models;

/// <summary>
/// <c>kind=torchscript</c>: a module exported from PyTorch (<c>torch.jit.script</c> or <c>torch.jit.trace</c>) that
/// maps a batch [N, Channels, Height, Width] to logits [N, Classes]. Its archive carries its initial weights;
/// <see cref="ConvChannels"/> and <see cref="Hidden"/> do not apply.
/// </summary>
public sealed partial record ModelSpec
{
    /// <summary>The <see cref="Kind"/> of TorchScript models.</summary>
    public const string TorchScriptKind = "torchscript";

    /// <summary>Path of the TorchScript archive on this machine; null until a worker has fetched it.</summary>
    public string? Module { get; init; }

    /// <summary>
    /// Lower-case hex SHA-256 of the archive: set by the coordinator, which distributes the archive under it, and
    /// checked by every worker against the bytes it receives.
    /// </summary>
    [JsonIgnore]
    public string? ModuleSha256 { get; init; }

    /// <summary>A TorchScript model read from <paramref name="module"/>, for inputs of the given shape.</summary>
    public static ModelSpec TorchScript(string module, int channels, int height, int width, int classes) =>
        new(TorchScriptKind, channels, height, width, classes, [], 0) { Module = module };

    private void ValidateTorchScript()
    {
        if (Channels <= 0 || Height <= 0 || Width <= 0)
        {
            throw new ArgumentException($"Input shape {Channels}x{Height}x{Width} must be positive.", nameof(Channels));
        }

        if (Classes < 2)
        {
            throw new ArgumentException($"A classifier needs at least 2 classes, got {Classes}.", nameof(Classes));
        }

        if (string.IsNullOrWhiteSpace(Module) && string.IsNullOrWhiteSpace(ModuleSha256))
        {
            throw new ArgumentException("A torchscript model needs its module file (model.module, or --torchscript FILE).", nameof(Module));
        }

        // The native spec string separates entries with ';', so a path holding one would be cut short.
        if (Module is not null && Module.Contains(';', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The TorchScript module path '{Module}' contains ';'; rename or move the file.", nameof(Module));
        }
    }

    private string TorchScriptNativeSpec() => string.Create(
        CultureInfo.InvariantCulture,
        $"kind={TorchScriptKind};module={Module};in={Channels},{Height},{Width};classes={Classes}");
}
