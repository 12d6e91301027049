using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace FedTrain.Telemetry.Prometheus;

/// <summary>
/// A pull-mode metric reader: each <see cref="Scrape"/> collects the current cumulative values from the SDK and
/// renders them in the Prometheus text format. Add it to a MeterProvider next to any push exporter.
/// </summary>
public sealed class PrometheusScrapeReader : BaseExportingMetricReader
{
    private readonly TextExporter _exporter;
    private readonly Lock _scrapeLock = new();

    public PrometheusScrapeReader()
        : this(new TextExporter())
    {
    }

    private PrometheusScrapeReader(TextExporter exporter)
        : base(exporter)
    {
        _exporter = exporter;
    }

    /// <summary>Collects now and returns the exposition text; throws when the collection fails or times out.</summary>
    public string Scrape(int timeoutMilliseconds = 5000)
    {
        lock (_scrapeLock)
        {
            _exporter.Text = null;
            if (!Collect(timeoutMilliseconds) || _exporter.Text is not { } text)
            {
                throw new InvalidOperationException("Metric collection failed or timed out.");
            }

            return text;
        }
    }

    /// <summary>Renders each collected batch while the SDK still holds it (a batch is valid only during Export).</summary>
    /// <remarks>
    /// Declared push-capable as well: the SDK lets a pull-only exporter be collected only inside its internal
    /// scrape scope. Nothing pushes here; collections come from <see cref="Scrape"/> and the provider's shutdown.
    /// </remarks>
    [ExportModes(ExportModes.Push | ExportModes.Pull)]
    private sealed class TextExporter : BaseExporter<Metric>
    {
        public string? Text { get; set; }

        public override ExportResult Export(in Batch<Metric> batch)
        {
            var metrics = new List<Metric>();
            foreach (var metric in batch)
            {
                metrics.Add(metric);
            }

            Text = PrometheusTextWriter.Write(metrics);
            return ExportResult.Success;
        }
    }
}
