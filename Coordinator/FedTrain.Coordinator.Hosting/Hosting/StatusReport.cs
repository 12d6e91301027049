using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Hosting;

/// <summary>
/// The JSON document served at <c>/api/status</c>. Under DP the current round's counts, the per-round participant
/// counts and the quarantine (which learns from assignments) are null: they would disclose the sampled cohort.
/// </summary>
internal static class StatusReport
{
    public static object Build(RoundOrchestrator orchestrator, WorkerRegistry registry)
    {
        var current = orchestrator.CurrentRound;
        var committed = orchestrator.CommittedRounds;
        bool disclose = orchestrator.DisclosesClients;
        return new
        {
            run_id = orchestrator.RunId,
            finished = orchestrator.IsFinished,
            finish_reason = orchestrator.FinishReason,
            model_version = orchestrator.CurrentModel.Version,
            current_round = current is null ? null : new
            {
                round = current.Round,
                selected = disclose ? current.Selected : null,
                pending = disclose ? current.Pending() : null,
                accepted = disclose ? current.AcceptedCount : (int?)null,
                deadline = current.Deadline,
            },
            live_workers = registry.Live().Select(w => w.WorkerId),
            live_clients = registry.LiveClients().Count,
            // Keyed by worker: the last round each quarantined worker sits out.
            quarantined_workers = disclose ? orchestrator.Quarantine.Snapshot(current?.Round ?? committed.Count + 1L) : null,
            quarantine_reasons = disclose ? orchestrator.Quarantine.Reasons(current?.Round ?? committed.Count + 1L) : null,
            consecutive_failures = disclose ? orchestrator.Quarantine.ConsecutiveFailures() : null,
            rounds = committed.Select(r => new
            {
                round = r.Round,
                test_accuracy = r.TestAccuracy,
                test_loss = r.TestLoss,
                participants = r.ClientDetailWithheld ? (int?)null : r.Participants.Count,
                duration_seconds = r.DurationSeconds,
            }),
        };
    }
}
