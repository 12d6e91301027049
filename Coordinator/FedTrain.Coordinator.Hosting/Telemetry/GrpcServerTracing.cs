using System.Diagnostics;
using FedTrain.Telemetry;
using Microsoft.AspNetCore.Http;

namespace FedTrain.Coordinator.Telemetry;

/// <summary>
/// Server spans for gRPC calls that carry a W3C <c>traceparent</c> header: the span is a child of the caller's
/// span, so a worker's download and upload calls appear inside the round's trace. Calls without one (heartbeats,
/// long polls) are not traced, so they do not flood the backend with one-span traces.
/// </summary>
public static class GrpcServerTracing
{
    /// <summary>Wraps <paramref name="next"/> (the gRPC router) with a server span per traced call.</summary>
    /// <param name="next">The gRPC router.</param>
    /// <param name="traceWorkerCalls">False under DP: a span per download and upload inside a round's trace would show
    /// how many clients, and which workers, took part.</param>
    public static RequestDelegate Wrap(RequestDelegate next, bool traceWorkerCalls = true)
    {
        ArgumentNullException.ThrowIfNull(next);
        return async http =>
        {
            if (!traceWorkerCalls || !CoordinatorActivities.Source.HasListeners()
                || !TraceParent.TryParse(http.Request.Headers[TraceParent.HeaderName].ToString(), out var parent))
            {
                await next(http).ConfigureAwait(false);
                return;
            }

            // ':path' is /fedtrain.v1.Coordinator/UploadUpdate; the span is named after the method (low cardinality).
            string method = http.Request.Path.Value?.TrimStart('/') ?? "unknown";
            using var activity = CoordinatorActivities.Source.StartActivity(method, ActivityKind.Server, parent);
            activity?.SetTag("rpc.system", "grpc");
            activity?.SetTag("rpc.method", method[(method.LastIndexOf('/') + 1)..]);
            activity?.SetTag("rpc.service", method.Contains('/', StringComparison.Ordinal) ? method[..method.LastIndexOf('/')] : method);
            await next(http).ConfigureAwait(false);
            // The status travels in trailers, or in headers for a trailers-only answer.
            string status = http.Response.Headers["grpc-status"].ToString();
            if (string.IsNullOrEmpty(status) && http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseTrailersFeature>() is { } trailers)
            {
                status = trailers.Trailers["grpc-status"].ToString();
            }

            if (activity is not null && int.TryParse(status, out int code))
            {
                activity.SetTag("rpc.grpc.status_code", code);
                if (code != 0)
                {
                    activity.SetStatus(ActivityStatusCode.Error, http.Response.Headers["grpc-message"].ToString());
                }
            }
        };
    }
}
