using System.Globalization;

namespace FedTrain.Core.Models;

/// <summary>
/// The checks a model spec must pass before a run starts, so that a spec the native trainer would refuse (or that
/// does not fit its data) fails at start with a message naming the field, not in round 1 on every worker.
/// </summary>
public static class ModelSpecValidator
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first problem.</summary>
    public static void Validate(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        switch (spec.Kind)
        {
            case "cnn":
                RefuseFields("cnn", ("patch", spec.Patch), ("dim", spec.Dim), ("depth", spec.Depth), ("heads", spec.Heads), ("mlp", spec.Mlp), ("seq", spec.Seq));
                ValidateImage(spec);
                ValidateCnn(spec);
                break;
            case "vit":
                RefuseFields("vit", ("hidden", spec.Hidden), ("seq", spec.Seq));
                RefuseConv(spec);
                ValidateImage(spec);
                ValidateTransformer(spec);
                Require(spec.Patch > 0, nameof(ModelSpec.Patch), $"patch must be positive, got {spec.Patch}");
                Require(
                    spec.Height % spec.Patch == 0 && spec.Width % spec.Patch == 0,
                    nameof(ModelSpec.Patch),
                    $"patch {spec.Patch} does not divide the {spec.Height}x{spec.Width} input");
                break;
            case "mlp":
                RefuseFields("mlp", ("hidden", spec.Hidden), ("patch", spec.Patch), ("dim", spec.Dim), ("depth", spec.Depth), ("heads", spec.Heads), ("mlp", spec.Mlp), ("seq", spec.Seq));
                Require(spec.Channels == 1 && spec.Height == 1 && spec.Width is > 0 and <= 1 << 20, nameof(ModelSpec.Width), $"mlp input must be in=D with D in [1, 2^20] features, got {spec.Channels}x{spec.Height}x{spec.Width}");
                Require(spec.Classes is >= 2 and <= 1 << 20, nameof(ModelSpec.Classes), $"a classifier needs at least 2 classes, got {spec.Classes}");
                Require(spec.HiddenLayers.Count <= 8 && spec.HiddenLayers.All(w => w is > 0 and <= 1 << 16), nameof(ModelSpec.ConvChannels), "mlp hidden must be at most 8 widths in [1, 65536]");
                break;
            case "lm":
                RefuseFields("lm", ("channels", spec.Channels), ("height", spec.Height), ("width", spec.Width), ("hidden", spec.Hidden), ("patch", spec.Patch));
                RefuseConv(spec);
                Require(spec.Classes is >= 2 and <= 1 << 20, nameof(ModelSpec.Classes), $"the vocabulary (classes) must be in [2, 2^20], got {spec.Classes}");
                Require(spec.Seq is > 0 and <= 1 << 16, nameof(ModelSpec.Seq), $"seq (context length) must be in [1, 65536], got {spec.Seq}");
                ValidateTransformer(spec);
                break;
            case ModelSpec.TorchScriptKind:
                spec.ValidateTorchScript();
                break;
            default:
                throw new ArgumentException(
                    $"Unknown model kind '{spec.Kind}'; known kinds: {string.Join(", ", ModelSpec.Kinds)}, {ModelSpec.TorchScriptKind}.", nameof(spec));
        }
    }

    /// <summary>Refuses a data set whose examples are not the model's input shape (or whose labels it cannot score).</summary>
    public static void ValidateAgainstData(ModelSpec spec, int channels, int height, int width, int classes, string dataDescription)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (c, h, w) = spec.InputShape;
        if (c != channels || h != height || w != width)
        {
            string expected = spec.IsLanguageModel
                ? string.Create(CultureInfo.InvariantCulture, $"windows of seq+1 = {w} bytes")
                : spec.IsTabular
                ? string.Create(CultureInfo.InvariantCulture, $"rows of {w} features")
                : string.Create(CultureInfo.InvariantCulture, $"{c}x{h}x{w} inputs");
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The model ({spec.ToNativeSpec()}) expects {expected}, but {dataDescription} holds {channels}x{height}x{width} examples."),
                nameof(spec));
        }

        if (!spec.IsLanguageModel && classes > spec.Classes)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The model has {spec.Classes} classes, but {dataDescription} has labels up to {classes - 1}."),
                nameof(spec));
        }
    }

    private static void ValidateImage(ModelSpec spec)
    {
        Require(spec.Channels > 0 && spec.Height > 0 && spec.Width > 0, nameof(ModelSpec.Channels), $"input shape {spec.Channels}x{spec.Height}x{spec.Width} must be positive");
        Require(spec.Classes >= 2, nameof(ModelSpec.Classes), $"a classifier needs at least 2 classes, got {spec.Classes}");
    }

    private static void ValidateCnn(ModelSpec spec)
    {
        var conv = spec.ConvChannels;
        Require(conv is { Count: > 0 } && conv.All(c => c > 0), nameof(ModelSpec.ConvChannels), "conv channels must be a non-empty list of positive widths");
        int side = Math.Min(spec.Height, spec.Width) >> conv!.Count;
        Require(side >= 1, nameof(ModelSpec.ConvChannels), $"{conv.Count} pooling conv blocks shrink a {spec.Height}x{spec.Width} input below one pixel");
        Require(spec.Hidden >= 0, nameof(ModelSpec.Hidden), $"hidden width must be >= 0, got {spec.Hidden}");
    }

    private static void ValidateTransformer(ModelSpec spec)
    {
        Require(spec.Dim > 0, nameof(ModelSpec.Dim), $"dim must be positive, got {spec.Dim}");
        Require(spec.Depth > 0, nameof(ModelSpec.Depth), $"depth must be positive, got {spec.Depth}");
        Require(spec.Heads > 0, nameof(ModelSpec.Heads), $"heads must be positive, got {spec.Heads}");
        Require(spec.Mlp > 0, nameof(ModelSpec.Mlp), $"mlp must be positive, got {spec.Mlp}");
        Require(spec.Dim % spec.Heads == 0, nameof(ModelSpec.Dim), $"dim {spec.Dim} is not divisible by heads {spec.Heads}");
    }

    private static void RefuseConv(ModelSpec spec) =>
        Require(spec.ConvChannels is null or { Count: 0 }, nameof(ModelSpec.ConvChannels), $"conv_channels does not apply to kind {spec.Kind}");

    private static void RefuseFields(string kind, params (string Name, int Value)[] fields)
    {
        foreach (var (name, value) in fields)
        {
            Require(value == 0, name, $"{name} does not apply to kind {kind} (got {value}); {KeysOf(kind)}");
        }
    }

    private static string KeysOf(string kind) => kind switch
    {
        "cnn" => "cnn takes channels, height, width, classes, conv_channels, hidden",
        "vit" => "vit takes channels, height, width, classes, patch, dim, depth, heads, mlp",
        "mlp" => "mlp takes in (features), classes, hidden (widths)",
        _ => "lm takes classes (the vocabulary), seq, dim, depth, heads, mlp",
    };

    private static void Require(bool condition, string field, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"Model spec: {message}.", field);
        }
    }
}
