using System.Diagnostics;

namespace FedTrain.Telemetry;

/// <summary>W3C Trace Context in gRPC metadata and protocol messages: the <c>traceparent</c> header.</summary>
public static class TraceParent
{
    /// <summary>The metadata key (lowercase, as gRPC metadata requires).</summary>
    public const string HeaderName = "traceparent";

    /// <summary>The traceparent of <paramref name="activity"/>, or null when there is none (tracing off).</summary>
    public static string? Of(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;

    /// <summary>Parses a remote parent; a missing or malformed value gives false (the span then starts a new trace).</summary>
    public static bool TryParse(string? traceParent, out ActivityContext context)
    {
        context = default;
        return !string.IsNullOrEmpty(traceParent) && ActivityContext.TryParse(traceParent, null, isRemote: true, out context);
    }
}
