using System.Globalization;

namespace FedTrain.Core.Data;

/// <summary>How a data set is split across workers: <c>iid</c> or <c>dirichlet:ALPHA</c>.</summary>
/// <param name="Alpha">Dirichlet concentration; null for IID. Smaller is more skewed.</param>
public sealed record PartitionScheme(double? Alpha)
{
    public static PartitionScheme Iid { get; } = new((double?)null);

    public bool IsIid => Alpha is null;

    /// <summary>Parses <c>iid</c> or <c>dirichlet:0.5</c>.</summary>
    /// <exception cref="FormatException">Anything else, or a non-positive or non-finite alpha.</exception>
    public static PartitionScheme Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Equals("iid", StringComparison.OrdinalIgnoreCase))
        {
            return Iid;
        }

        const string prefix = "dirichlet:";
        if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            && double.TryParse(text.AsSpan(prefix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out double alpha))
        {
            if (!double.IsFinite(alpha) || alpha <= 0)
            {
                throw new FormatException($"Dirichlet alpha must be a positive finite number, got '{text[prefix.Length..]}'.");
            }

            return new PartitionScheme(alpha);
        }

        throw new FormatException($"Unknown partition '{text}'; use 'iid' or 'dirichlet:ALPHA' (e.g. dirichlet:0.5).");
    }

    public override string ToString() =>
        Alpha is { } alpha ? string.Create(CultureInfo.InvariantCulture, $"dirichlet:{alpha}") : "iid";
}
