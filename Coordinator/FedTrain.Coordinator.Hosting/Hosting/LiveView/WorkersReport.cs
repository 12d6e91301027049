using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>The document at <c>/api/workers</c>: every known worker with its health and what it is doing.</summary>
internal sealed record WorkersReport(DateTimeOffset Now, double WorkerTimeoutSeconds, IReadOnlyList<WorkerView> Workers)
{
    public static WorkersReport Build(WorkerRegistry registry, RoundOrchestrator orchestrator, TimeSpan workerTimeout, DateTimeOffset now)
    {
        var round = orchestrator.CurrentRound;
        var evaluation = orchestrator.CurrentEvaluation;
        var workers = registry.Health().Select(h =>
        {
            string id = h.Info.WorkerId;
            string state = !h.IsLive ? WorkerView.Gone
                : !orchestrator.DisclosesClients ? WorkerView.Live
                : round?.PendingClientsOf(id).Count > 0 ? WorkerView.Training
                : evaluation?.PendingClientsOf(id).Count > 0 ? WorkerView.Evaluating
                : WorkerView.Idle;
            return new WorkerView(
                id, h.Info.Device, h.Info.Clients.Count, orchestrator.DisclosesClients ? h.Info.ExampleCount : null, h.LastSeen,
                Math.Max(0, (now - h.LastSeen).TotalSeconds), state);
        }).ToList();
        return new WorkersReport(now, workerTimeout.TotalSeconds, workers);
    }
}
