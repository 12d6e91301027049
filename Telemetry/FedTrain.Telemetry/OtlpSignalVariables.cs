using OpenTelemetry.Exporter;

namespace FedTrain.Telemetry;

/// <summary>
/// Applies the per-signal OTLP variables (<c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>, <c>..._TRACES_PROTOCOL</c>
/// and their <c>METRICS</c> twins). The SDK's AddOtlpExporter reads only the common variables, so a signal sent
/// elsewhere, or over another protocol, would otherwise be ignored.
/// </summary>
public static class OtlpSignalVariables
{
    /// <summary>Overrides <paramref name="options"/> with the variables of <paramref name="signal"/> (<c>TRACES</c> or <c>METRICS</c>).</summary>
    public static void Apply(OtlpExporterOptions options, string signal, Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(variable);
        string prefix = $"OTEL_EXPORTER_OTLP_{signal}_";
        if (variable(prefix + "PROTOCOL")?.Trim() is { Length: > 0 } protocol)
        {
            options.Protocol = protocol switch
            {
                "grpc" => OtlpExportProtocol.Grpc,
                "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
                _ => throw new ArgumentException($"{prefix}PROTOCOL='{protocol}' is not supported; use grpc or http/protobuf."),
            };
        }

        if (variable(prefix + "ENDPOINT")?.Trim() is { Length: > 0 } endpoint)
        {
            // A signal's own endpoint is the full URL (no /v1/... appended), as the specification says.
            options.Endpoint = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new ArgumentException($"{prefix}ENDPOINT='{endpoint}' is not an absolute http or https URL.");
        }
    }
}
