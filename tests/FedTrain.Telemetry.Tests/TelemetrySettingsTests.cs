namespace FedTrain.Telemetry.Tests;

public sealed class TelemetrySettingsTests
{
    private static TelemetrySettings From(params (string Key, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Key, v => v.Value);
        return TelemetrySettings.From(k => map.GetValueOrDefault(k));
    }

    [Fact]
    public void Export_is_off_without_an_endpoint() => Assert.Equal(new TelemetrySettings(false, false), From());

    [Fact]
    public void A_common_endpoint_turns_on_both_signals() =>
        Assert.Equal(new TelemetrySettings(true, true), From(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")));

    [Fact]
    public void A_signal_endpoint_turns_on_that_signal_only()
    {
        Assert.Equal(new TelemetrySettings(true, false), From(("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/v1/traces")));
        Assert.Equal(new TelemetrySettings(false, true), From(("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://c:4318/v1/metrics")));
    }

    [Fact]
    public void None_and_sdk_disabled_turn_signals_off()
    {
        Assert.Equal(
            new TelemetrySettings(true, false),
            From(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"), ("OTEL_METRICS_EXPORTER", "none")));
        Assert.Equal(
            new TelemetrySettings(false, false),
            From(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"), ("OTEL_SDK_DISABLED", "true")));
    }

    [Fact]
    public void An_unsupported_exporter_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentException>(() => From(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"), ("OTEL_TRACES_EXPORTER", "zipkin")));
        Assert.Contains("OTEL_TRACES_EXPORTER", error.Message, StringComparison.Ordinal);
    }
}
