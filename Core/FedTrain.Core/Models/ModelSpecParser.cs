using System.Globalization;

namespace FedTrain.Core.Models;

/// <summary>
/// Reads a model spec written like the native trainer's spec string (<c>kind=vit;in=1,28,28;classes=10;patch=7;
/// dim=64;depth=2;heads=4;mlp=128</c>). A bare kind (<c>vit</c>) is the zoo's preset; with keys, the preset of
/// that kind supplies the keys left out. Unknown or repeated keys are refused, naming the key.
/// </summary>
public static class ModelSpecParser
{
    private static readonly Dictionary<string, string[]> KeysByKind = new(StringComparer.Ordinal)
    {
        ["cnn"] = ["in", "classes", "conv", "hidden"],
        ["vit"] = ["in", "classes", "patch", "dim", "depth", "heads", "mlp"],
        ["lm"] = ["vocab", "seq", "dim", "depth", "heads", "mlp"],
        ["mlp"] = ["in", "classes", "hidden"],
    };

    public static ModelSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            throw new ArgumentException("Model spec is empty; use cnn, vit, mlp, lm or e.g. kind=vit;patch=7;dim=64.", nameof(text));
        }

        if (!trimmed.Contains('=', StringComparison.Ordinal))
        {
            return Checked(ModelSpec.Preset(trimmed));
        }

        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string segment in trimmed.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = segment.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"Model spec entry '{segment}' is not key=value.", nameof(text));
            }

            string key = segment[..eq].Trim();
            if (!entries.TryAdd(key, segment[(eq + 1)..].Trim()))
            {
                throw new ArgumentException($"Model spec key '{key}' appears twice.", nameof(text));
            }
        }

        if (!entries.Remove("kind", out string? kind))
        {
            throw new ArgumentException($"Model spec '{trimmed}' has no kind (e.g. kind=vit).", nameof(text));
        }

        var spec = ModelSpec.Preset(kind);
        var known = KeysByKind[kind];
        foreach (var (key, value) in entries)
        {
            if (!known.Contains(key))
            {
                throw new ArgumentException($"Unknown key '{key}' in model spec for kind '{kind}'; its keys: {string.Join(", ", known)}.", nameof(text));
            }

            spec = key switch
            {
                "in" when kind == "mlp" => spec with { Channels = 1, Height = 1, Width = Int(key, value) },
                "hidden" when kind == "mlp" => spec with { ConvChannels = value.Length == 0 ? [] : Ints(key, value, 1, 8) },
                "in" => WithInput(spec, Ints(key, value, 3, 3)),
                "classes" or "vocab" => spec with { Classes = Int(key, value) },
                "conv" => spec with { ConvChannels = Ints(key, value, 1, 8) },
                "hidden" => spec with { Hidden = Int(key, value) },
                "patch" => spec with { Patch = Int(key, value) },
                "dim" => spec with { Dim = Int(key, value) },
                "depth" => spec with { Depth = Int(key, value) },
                "heads" => spec with { Heads = Int(key, value) },
                "mlp" => spec with { Mlp = Int(key, value) },
                "seq" => spec with { Seq = Int(key, value) },
                _ => throw new ArgumentException($"Unknown key '{key}' in model spec.", nameof(text)),
            };
        }

        return Checked(spec);
    }

    private static ModelSpec Checked(ModelSpec spec)
    {
        spec.Validate();
        return spec;
    }

    private static ModelSpec WithInput(ModelSpec spec, int[] shape) => spec with { Channels = shape[0], Height = shape[1], Width = shape[2] };

    private static int Int(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw new ArgumentException($"Model spec key '{key}': '{value}' is not a whole number >= 0.", key);

    private static int[] Ints(string key, string value, int min, int max)
    {
        int[] values = value.Split(',', StringSplitOptions.TrimEntries).Select(v => Int(key, v)).ToArray();
        return values.Length >= min && values.Length <= max
            ? values
            : throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Model spec key '{key}' needs {(min == max ? $"{min}" : $"{min} to {max}")} comma-separated values, got '{value}'."),
                key);
    }
}
