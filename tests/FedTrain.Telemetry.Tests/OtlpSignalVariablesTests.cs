using OpenTelemetry.Exporter;

namespace FedTrain.Telemetry.Tests;

public sealed class OtlpSignalVariablesTests
{
    private static OtlpExporterOptions Apply(string signal, params (string Key, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Key, v => v.Value);
        var options = new OtlpExporterOptions { Endpoint = new Uri("http://common:4317"), Protocol = OtlpExportProtocol.Grpc };
        OtlpSignalVariables.Apply(options, signal, k => map.GetValueOrDefault(k));
        return options;
    }

    [Fact]
    public void A_signal_endpoint_and_protocol_override_the_common_ones()
    {
        var options = Apply(
            "TRACES",
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4318/v1/traces"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc"));
        Assert.Equal(new Uri("http://traces:4318/v1/traces"), options.Endpoint);
        Assert.Equal(OtlpExportProtocol.HttpProtobuf, options.Protocol);
    }

    [Fact]
    public void Another_signals_variables_change_nothing()
    {
        var options = Apply("METRICS", ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4318/v1/traces"));
        Assert.Equal(new Uri("http://common:4317"), options.Endpoint);
        Assert.Equal(OtlpExportProtocol.Grpc, options.Protocol);
    }

    [Fact]
    public void Bad_values_are_refused_with_the_variable_name()
    {
        Assert.Contains(
            "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
            Assert.Throws<ArgumentException>(() => Apply("METRICS", ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json"))).Message,
            StringComparison.Ordinal);
        Assert.Contains(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            Assert.Throws<ArgumentException>(() => Apply("TRACES", ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4317"))).Message,
            StringComparison.Ordinal);
    }
}
