using System.Diagnostics;
using FedTrain.Telemetry;

namespace FedTrain.Coordinator.Telemetry;

/// <summary>
/// The coordinator's spans. A round is one trace: <c>round</c> is its root, with <c>selection</c>,
/// <c>aggregation</c>, <c>privacy</c> and <c>evaluation</c> children; the workers' spans and the server spans of
/// their DownloadModel and UploadUpdate calls join it through the traceparent each assignment carries.
/// </summary>
public static class CoordinatorActivities
{
    public const string Round = "round";
    public const string Selection = "selection";
    public const string Aggregation = "aggregation";
    public const string Privacy = "privacy";
    public const string Evaluation = "evaluation";
    public const string FederatedEvaluation = "evaluation.federated";
    public const string Checkpoint = "checkpoint";

    /// <summary>The coordinator's ActivitySource; it has a listener only while trace export is on.</summary>
    public static ActivitySource Source { get; } = new(FedTrainInstruments.CoordinatorMeter);

    /// <summary>Starts a round's trace: a root span, whatever activity happens to be current.</summary>
    public static Activity? StartRound(string runId, long round)
    {
        var previous = Activity.Current;
        Activity.Current = null;
        var activity = Source.StartActivity(Round, ActivityKind.Internal);
        activity?.SetTag("fedtrain.run_id", runId);
        activity?.SetTag("fedtrain.round", round);
        if (activity is null)
        {
            Activity.Current = previous;
        }

        return activity;
    }

    /// <summary>Starts a child of the current span (no-op when tracing is off).</summary>
    public static Activity? Start(string name) => Source.StartActivity(name, ActivityKind.Internal);
}
