using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Hosting;

/// <summary>The JSON document served at <c>/api/status</c>.</summary>
internal static class StatusReport
{
    public static object Build(RoundOrchestrator orchestrator, WorkerRegistry registry)
    {
        var current = orchestrator.CurrentRound;
        var committed = orchestrator.CommittedRounds;
        return new
        {
            run_id = orchestrator.RunId,
            finished = orchestrator.IsFinished,
            finish_reason = orchestrator.FinishReason,
            model_version = orchestrator.CurrentModel.Version,
            current_round = current is null ? null : new
            {
                round = current.Round,
                selected = current.Selected,
                pending = current.Pending(),
                accepted = current.AcceptedCount,
                deadline = current.Deadline,
            },
            live_workers = registry.Live().Select(w => w.WorkerId),
            live_clients = registry.LiveClients().Count,
            // Keyed by worker: the last round each quarantined worker sits out.
            quarantined_workers = orchestrator.Quarantine.Snapshot(current?.Round ?? committed.Count + 1L),
            quarantine_reasons = orchestrator.Quarantine.Reasons(current?.Round ?? committed.Count + 1L),
            consecutive_failures = orchestrator.Quarantine.ConsecutiveFailures(),
            rounds = committed.Select(r => new
            {
                round = r.Round,
                test_accuracy = r.TestAccuracy,
                test_loss = r.TestLoss,
                participants = r.Participants.Count,
                duration_seconds = r.DurationSeconds,
            }),
        };
    }
}
