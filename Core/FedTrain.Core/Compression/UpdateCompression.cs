namespace FedTrain.Core.Compression;

/// <summary>The operator's names for the update encodings (<c>--update-compression none|float16|int8</c>).</summary>
public static class UpdateCompression
{
    /// <summary>The accepted names, for help texts and error messages.</summary>
    public const string Choices = "none, float16, int8, topk:FRACTION (e.g. topk:0.01)";

    /// <summary>The fraction of values top-k keeps when the operator names none (<c>topk</c>).</summary>
    public const double DefaultTopKFraction = 0.01;

    /// <summary>Reads an operator's choice; the fraction is top-k's share of values kept (0 for the other encodings).</summary>
    /// <exception cref="ArgumentException">Not one of <see cref="Choices"/>, or a top-k fraction outside (0, 1].</exception>
    public static (UpdateEncoding Encoding, double TopKFraction) Parse(string name)
    {
        string trimmed = name?.Trim() ?? string.Empty;
        if (trimmed.StartsWith("topk", StringComparison.OrdinalIgnoreCase))
        {
            string rest = trimmed[4..];
            if (rest.Length == 0)
            {
                return (UpdateEncoding.TopK, DefaultTopKFraction);
            }

            if (rest[0] == ':' && double.TryParse(rest[1..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double fraction)
                && fraction > 0 && fraction <= 1)
            {
                return (UpdateEncoding.TopK, fraction);
            }

            throw new ArgumentException($"Top-k compression takes the fraction of values to keep, in (0, 1], as topk:0.01; got '{name}'.", nameof(name));
        }

        foreach (var encoding in Enum.GetValues<UpdateEncoding>())
        {
            if (encoding != UpdateEncoding.TopK && string.Equals(trimmed, Name(encoding), StringComparison.OrdinalIgnoreCase))
            {
                return (encoding, 0);
            }
        }

        throw new ArgumentException($"Update compression must be one of {Choices}; got '{name}'.", nameof(name));
    }

    /// <summary>The operator's spelling of a choice: <c>int8</c>, or <c>topk:0.01</c>.</summary>
    public static string Describe(UpdateEncoding encoding, double topKFraction) => encoding == UpdateEncoding.TopK
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"topk:{topKFraction}")
        : Name(encoding);

    /// <summary>The number format of <paramref name="encoding"/>, for messages: <c>float32</c>, <c>float16</c>, <c>int8</c> or <c>topk</c>.</summary>
    public static string FormatName(UpdateEncoding encoding) => encoding == UpdateEncoding.Float32 ? "float32" : Name(encoding);

    /// <summary>The operator's name of <paramref name="encoding"/>: <c>none</c>, <c>float16</c>, <c>int8</c> or <c>topk</c>.</summary>
    public static string Name(UpdateEncoding encoding) => encoding switch
    {
        UpdateEncoding.Float32 => "none",
        UpdateEncoding.Float16 => "float16",
        UpdateEncoding.Int8 => "int8",
        UpdateEncoding.TopK => "topk",
        _ => $"unknown ({(int)encoding})",
    };
}
