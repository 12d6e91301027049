using System.Text;

namespace FedTrain.Telemetry.Prometheus;

/// <summary>
/// The OpenTelemetry-to-Prometheus name mapping: invalid characters become <c>_</c>, the unit is spelled out
/// and appended (<c>s</c> → <c>_seconds</c>, <c>By/s</c> → <c>_bytes_per_second</c>, <c>1</c> → <c>_ratio</c> on a
/// gauge, annotations such as <c>{round}</c> dropped), and monotonic counters end in <c>_total</c>. The exporter
/// package and the Collector apply these rules themselves; this copy names the series the dashboards query, and
/// the tests check it against the package's exposition (the package leaves out <c>_ratio</c>, see
/// <see cref="PrometheusRatioSuffix"/>).
/// </summary>
public static class PrometheusNaming
{
    private static readonly Dictionary<string, string> Units = new(StringComparer.Ordinal)
    {
        ["d"] = "days",
        ["h"] = "hours",
        ["min"] = "minutes",
        ["s"] = "seconds",
        ["ms"] = "milliseconds",
        ["us"] = "microseconds",
        ["ns"] = "nanoseconds",
        ["By"] = "bytes",
        ["KiBy"] = "kibibytes",
        ["MiBy"] = "mebibytes",
        ["GiBy"] = "gibibytes",
        ["KBy"] = "kilobytes",
        ["MBy"] = "megabytes",
        ["GBy"] = "gigabytes",
        ["bit"] = "bits",
        ["m"] = "meters",
        ["V"] = "volts",
        ["A"] = "amperes",
        ["J"] = "joules",
        ["W"] = "watts",
        ["g"] = "grams",
        ["Cel"] = "celsius",
        ["Hz"] = "hertz",
        ["%"] = "percent",
    };

    private static readonly Dictionary<string, string> PerUnits = new(StringComparer.Ordinal)
    {
        ["s"] = "second",
        ["m"] = "minute",
        ["h"] = "hour",
        ["d"] = "day",
        ["w"] = "week",
        ["mo"] = "month",
        ["y"] = "year",
    };

    /// <summary>The Prometheus metric name of an instrument.</summary>
    /// <param name="name">The OpenTelemetry instrument name.</param>
    /// <param name="unit">Its UCUM unit, or null/empty.</param>
    /// <param name="monotonicCounter">Whether it is a monotonic sum (gets <c>_total</c>).</param>
    public static string MetricName(string name, string? unit, bool monotonicCounter)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        string result = Sanitize(name, allowColon: true);
        string unitSuffix = UnitSuffix(unit, monotonicCounter);
        if (unitSuffix.Length > 0 && !result.EndsWith("_" + unitSuffix, StringComparison.Ordinal)
            && !result.Contains("_" + unitSuffix + "_", StringComparison.Ordinal))
        {
            result += "_" + unitSuffix;
        }

        if (monotonicCounter && !result.EndsWith("_total", StringComparison.Ordinal))
        {
            result += "_total";
        }

        return result;
    }

    /// <summary>A valid label name: <c>[a-zA-Z_][a-zA-Z0-9_]*</c>, other characters replaced by <c>_</c>.</summary>
    public static string LabelName(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return Sanitize(key, allowColon: false);
    }

    /// <summary>The unit's spelled-out suffix, or empty when it has none (no unit, or only an annotation).</summary>
    public static string UnitSuffix(string? unit, bool monotonicCounter)
    {
        if (string.IsNullOrWhiteSpace(unit))
        {
            return string.Empty;
        }

        // Annotations in braces ({round}, {client}) name what is counted, not a unit.
        string bare = RemoveAnnotations(unit).Trim();
        if (bare.Length == 0)
        {
            return string.Empty;
        }

        if (bare == "1")
        {
            // A dimensionless gauge is a ratio; a dimensionless counter counts things and needs no suffix.
            return monotonicCounter ? string.Empty : "ratio";
        }

        int slash = bare.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            string over = bare[..slash];
            string under = bare[(slash + 1)..];
            string top = Units.TryGetValue(over, out var spelled) ? spelled : Sanitize(over, allowColon: false);
            string bottom = PerUnits.TryGetValue(under, out var per) ? per : Sanitize(under, allowColon: false);
            return top.Length == 0 ? "per_" + bottom : top + "_per_" + bottom;
        }

        return Units.TryGetValue(bare, out var name) ? name : Sanitize(bare, allowColon: false).Trim('_');
    }

    private static string RemoveAnnotations(string unit)
    {
        var builder = new StringBuilder(unit.Length);
        int depth = 0;
        foreach (char c in unit)
        {
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}' && depth > 0)
            {
                depth--;
            }
            else if (depth == 0)
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static string Sanitize(string text, bool allowColon)
    {
        var builder = new StringBuilder(text.Length + 1);
        foreach (char c in text)
        {
            bool valid = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' || (allowColon && c == ':');
            char next = valid ? c : '_';
            // Runs of replaced characters collapse into one underscore.
            if (next == '_' && builder.Length > 0 && builder[^1] == '_')
            {
                continue;
            }

            builder.Append(next);
        }

        if (builder.Length > 0 && char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }
}
