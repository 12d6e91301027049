using System.Text;
using Microsoft.AspNetCore.Http;

namespace FedTrain.Telemetry.Prometheus;

/// <summary>
/// The one thing the OpenTelemetry Prometheus exporter package does not name as before: a gauge whose unit is
/// <c>1</c> gets no <c>_ratio</c> suffix there (the package follows a later reading of the specification), while
/// the OpenTelemetry Collector's Prometheus exporter still appends it, and FedTrain's dashboards query the
/// <c>_ratio</c> names. This wrapper renames the families of FedTrain's own unit-<c>1</c> gauges in the package's
/// exposition, and nothing else.
/// </summary>
public static class PrometheusRatioSuffix
{
    /// <summary>The package's name of each FedTrain ratio gauge, and the name FedTrain exports it under.</summary>
    public static IReadOnlyDictionary<string, string> Renames { get; } = FedTrainInstruments.All
        .Where(i => i.Kind == InstrumentKind.Gauge && i.Unit == "1")
        .Select(i => (Package: PrometheusNaming.MetricName(i.Name, unit: null, monotonicCounter: false), Exported: i.PrometheusName))
        .Distinct()
        .ToDictionary(n => n.Package, n => n.Exported, StringComparer.Ordinal);

    /// <summary>Renames the ratio families in an exposition (text or OpenMetrics): their samples and their metadata lines.</summary>
    public static string Restore(string exposition)
    {
        ArgumentNullException.ThrowIfNull(exposition);
        var output = new StringBuilder(exposition.Length + 256);
        bool first = true;
        foreach (var range in exposition.AsSpan().Split('\n'))
        {
            var line = exposition.AsSpan(range);
            if (!first)
            {
                output.Append('\n');
            }

            first = false;
            // '# HELP name ...', '# TYPE name ...', '# UNIT name ...' or 'name{labels} value' / 'name value'.
            int nameStart = line.StartsWith("# ".AsSpan(), StringComparison.Ordinal) && line.Length > 7 ? 7 : 0;
            var rest = line[nameStart..];
            int nameLength = rest.IndexOfAny('{', ' ');
            if (line.Length > 0 && nameLength > 0 && Renames.TryGetValue(rest[..nameLength].ToString(), out var exported))
            {
                output.Append(line[..nameStart]).Append(exported).Append(rest[nameLength..]);
            }
            else
            {
                output.Append(line);
            }
        }

        return output.ToString();
    }

    /// <summary>Middleware in front of the package's scraping endpoint: buffers its answer and restores the names.</summary>
    public static async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var body = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            context.Response.Body = body;
        }

        string text = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, checked((int)buffer.Length));
        byte[] renamed = Encoding.UTF8.GetBytes(Restore(text));
        context.Response.ContentLength = renamed.Length;
        await body.WriteAsync(renamed, context.RequestAborted).ConfigureAwait(false);
    }
}
