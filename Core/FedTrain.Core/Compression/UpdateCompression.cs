namespace FedTrain.Core.Compression;

/// <summary>The operator's names for the update encodings (<c>--update-compression none|float16|int8</c>).</summary>
public static class UpdateCompression
{
    /// <summary>The accepted names, for help texts and error messages.</summary>
    public const string Choices = "none, float16, int8";

    /// <summary>Reads an operator's choice.</summary>
    /// <exception cref="ArgumentException">Not one of <see cref="Choices"/>.</exception>
    public static UpdateEncoding Parse(string name)
    {
        string trimmed = name?.Trim() ?? string.Empty;
        foreach (var encoding in Enum.GetValues<UpdateEncoding>())
        {
            if (string.Equals(trimmed, Name(encoding), StringComparison.OrdinalIgnoreCase))
            {
                return encoding;
            }
        }

        throw new ArgumentException($"Update compression must be one of {Choices}; got '{name}'.", nameof(name));
    }

    /// <summary>The number format of <paramref name="encoding"/>, for messages: <c>float32</c>, <c>float16</c> or <c>int8</c>.</summary>
    public static string FormatName(UpdateEncoding encoding) => encoding == UpdateEncoding.Float32 ? "float32" : Name(encoding);

    /// <summary>The operator's name of <paramref name="encoding"/>: <c>none</c>, <c>float16</c> or <c>int8</c>.</summary>
    public static string Name(UpdateEncoding encoding) => encoding switch
    {
        UpdateEncoding.Float32 => "none",
        UpdateEncoding.Float16 => "float16",
        UpdateEncoding.Int8 => "int8",
        _ => $"unknown ({(int)encoding})",
    };
}
