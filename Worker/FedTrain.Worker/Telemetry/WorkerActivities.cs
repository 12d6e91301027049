using System.Diagnostics;
using Grpc.Core;
using FedTrain.Telemetry;

namespace FedTrain.Worker.Telemetry;

/// <summary>
/// The worker's spans. <c>worker.round</c> (or <c>worker.evaluate</c>) joins the coordinator's round trace through
/// the assignment's traceparent; <c>worker.download</c>, <c>worker.train</c> and <c>worker.upload</c> are its
/// children, and the download and upload calls carry their span's traceparent to the coordinator.
/// </summary>
public static class WorkerActivities
{
    public const string Round = "worker.round";
    public const string Evaluate = "worker.evaluate";
    public const string Download = "worker.download";
    public const string Train = "worker.train";
    public const string Upload = "worker.upload";

    /// <summary>The worker's ActivitySource; it has a listener only while trace export is on.</summary>
    public static ActivitySource Source { get; } = new(FedTrainInstruments.WorkerMeter);

    /// <summary>
    /// Starts the span of an assignment as a child of the coordinator's span; null when the assignment carries no
    /// traceparent (the coordinator does not trace) or this worker does not export spans.
    /// </summary>
    public static Activity? StartAssignment(string name, string traceParent, string workerId, long round)
    {
        if (!TraceParent.TryParse(traceParent, out var parent))
        {
            return null;
        }

        var activity = Source.StartActivity(name, ActivityKind.Consumer, parent);
        activity?.SetTag("fedtrain.worker_id", workerId);
        activity?.SetTag("fedtrain.round", round);
        return activity;
    }

    /// <summary>Starts a child of the current span, only inside a traced assignment.</summary>
    public static Activity? StartChild(string name, ActivityKind kind = ActivityKind.Internal) =>
        Activity.Current is { Source.Name: FedTrainInstruments.WorkerMeter } ? Source.StartActivity(name, kind) : null;

    /// <summary>Request metadata carrying the current span's traceparent; null outside a traced span.</summary>
    public static Metadata? TraceHeaders()
    {
        if (TraceParent.Of(Activity.Current) is not { } traceParent)
        {
            return null;
        }

        return new Metadata { { TraceParent.HeaderName, traceParent } };
    }
}
