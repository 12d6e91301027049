namespace FedTrain.Telemetry;

/// <summary>
/// Which OTLP exports the standard <c>OTEL_*</c> environment variables ask for. Export is on when an endpoint is
/// set (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, or the per-signal <c>..._TRACES_ENDPOINT</c> /
/// <c>..._METRICS_ENDPOINT</c>), unless <c>OTEL_SDK_DISABLED=true</c> or the signal's exporter is <c>none</c>.
/// Everything else (protocol, headers, service name, resource attributes, export interval) the SDK reads itself.
/// </summary>
/// <param name="ExportTraces">Whether spans go to an OTLP endpoint.</param>
/// <param name="ExportMetrics">Whether metrics go to an OTLP endpoint.</param>
public sealed record TelemetrySettings(bool ExportTraces, bool ExportMetrics)
{
    /// <summary>Reads the process environment.</summary>
    public static TelemetrySettings FromEnvironment() => From(Environment.GetEnvironmentVariable);

    /// <summary>Reads the variables through <paramref name="variable"/> (tests pass a dictionary).</summary>
    public static TelemetrySettings From(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        if (SdkDisabled(variable))
        {
            return new TelemetrySettings(false, false);
        }

        bool common = IsSet(variable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        return new TelemetrySettings(
            Wanted(variable, "OTEL_TRACES_EXPORTER", common || IsSet(variable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))),
            Wanted(variable, "OTEL_METRICS_EXPORTER", common || IsSet(variable("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"))));
    }

    /// <summary>Whether <c>OTEL_SDK_DISABLED=true</c>: the SDK then builds providers that do nothing, Prometheus reader included.</summary>
    public static bool SdkDisabled(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return string.Equals(variable("OTEL_SDK_DISABLED")?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
    }

    private static bool Wanted(Func<string, string?> variable, string exporterVariable, bool endpointSet)
    {
        string? exporter = variable(exporterVariable)?.Trim();
        if (string.IsNullOrEmpty(exporter))
        {
            return endpointSet;
        }

        if (exporter == "none")
        {
            return false;
        }

        return exporter == "otlp"
            ? endpointSet
            : throw new ArgumentException($"{exporterVariable}='{exporter}' is not supported; use otlp or none.");
    }

    private static bool IsSet(string? value) => !string.IsNullOrWhiteSpace(value);
}
