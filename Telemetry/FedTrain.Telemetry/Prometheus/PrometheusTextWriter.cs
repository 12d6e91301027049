using System.Globalization;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace FedTrain.Telemetry.Prometheus;

/// <summary>
/// Writes OpenTelemetry metrics in the Prometheus text exposition format (version 0.0.4): one HELP and one TYPE
/// line per metric family, escaped label values, <c>_total</c> counters, and histograms as cumulative
/// <c>_bucket{le=...}</c> series ending in <c>+Inf</c>, then <c>_sum</c> and <c>_count</c>.
/// </summary>
public static class PrometheusTextWriter
{
    /// <summary>The Content-Type of the output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Formats <paramref name="metrics"/>; metrics that map to the same name share one family.</summary>
    public static string Write(IEnumerable<Metric> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var families = new SortedDictionary<string, List<Metric>>(StringComparer.Ordinal);
        foreach (var metric in metrics)
        {
            if (metric.MetricType == MetricType.ExponentialHistogram)
            {
                // No classic-text form; the OTLP exporter carries these.
                continue;
            }

            string name = PrometheusNaming.MetricName(metric.Name, metric.Unit, IsCounter(metric.MetricType));
            if (!families.TryGetValue(name, out var list))
            {
                families[name] = list = [];
            }

            list.Add(metric);
        }

        var output = new StringBuilder();
        foreach (var (name, family) in families)
        {
            var first = family[0];
            string help = string.IsNullOrEmpty(first.Description) ? first.Name : first.Description;
            output.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
            output.Append("# TYPE ").Append(name).Append(' ').Append(TypeOf(first.MetricType)).Append('\n');
            foreach (var metric in family)
            {
                WritePoints(output, name, metric);
            }
        }

        return output.ToString();
    }

    /// <summary>Escapes a label value: backslash, double quote and line feed.</summary>
    public static string EscapeLabelValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);
    }

    /// <summary>Escapes HELP text: backslash and line feed.</summary>
    public static string EscapeHelp(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
    }

    /// <summary>A sample value as Prometheus reads it: <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c> or a round-trip decimal.</summary>
    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static bool IsCounter(MetricType type) => type is MetricType.LongSum or MetricType.DoubleSum;

    private static string TypeOf(MetricType type) => type switch
    {
        MetricType.LongSum or MetricType.DoubleSum => "counter",
        MetricType.Histogram => "histogram",
        _ => "gauge",
    };

    private static void WritePoints(StringBuilder output, string name, Metric metric)
    {
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            string labels = Labels(point.Tags);
            switch (metric.MetricType)
            {
                case MetricType.LongSum or MetricType.LongSumNonMonotonic:
                    Sample(output, name, labels, null, point.GetSumLong());
                    break;
                case MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic:
                    Sample(output, name, labels, null, point.GetSumDouble());
                    break;
                case MetricType.LongGauge:
                    Sample(output, name, labels, null, point.GetGaugeLastValueLong());
                    break;
                case MetricType.DoubleGauge:
                    Sample(output, name, labels, null, point.GetGaugeLastValueDouble());
                    break;
                case MetricType.Histogram:
                    long cumulative = 0;
                    foreach (var bucket in point.GetHistogramBuckets())
                    {
                        cumulative += bucket.BucketCount;
                        Sample(output, name + "_bucket", labels, FormatValue(bucket.ExplicitBound), cumulative);
                    }

                    Sample(output, name + "_sum", labels, null, point.GetHistogramSum());
                    Sample(output, name + "_count", labels, null, point.GetHistogramCount());
                    break;
                default:
                    break;
            }
        }
    }

    private static string Labels(ReadOnlyTagCollection tags)
    {
        if (tags.Count == 0)
        {
            return string.Empty;
        }

        var builder = new StringBuilder();
        foreach (var tag in tags)
        {
            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(PrometheusNaming.LabelName(tag.Key)).Append("=\"").Append(EscapeLabelValue(TagValue(tag.Value))).Append('"');
        }

        return builder.ToString();
    }

    private static string TagValue(object? value) => value switch
    {
        null => string.Empty,
        bool b => b ? "true" : "false",
        double d => FormatValue(d),
        float f => FormatValue(f),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static void Sample(StringBuilder output, string name, string labels, string? le, double value) =>
        SampleText(output, name, labels, le, FormatValue(value));

    private static void Sample(StringBuilder output, string name, string labels, string? le, long value) =>
        SampleText(output, name, labels, le, value.ToString(CultureInfo.InvariantCulture));

    private static void SampleText(StringBuilder output, string name, string labels, string? le, string value)
    {
        output.Append(name);
        if (labels.Length > 0 || le is not null)
        {
            output.Append('{').Append(labels);
            if (le is not null)
            {
                output.Append(labels.Length > 0 ? "," : string.Empty).Append("le=\"").Append(le).Append('"');
            }

            output.Append('}');
        }

        output.Append(' ').Append(value).Append('\n');
    }
}
