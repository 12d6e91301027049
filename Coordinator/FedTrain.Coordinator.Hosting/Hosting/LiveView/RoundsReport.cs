using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>The document at <c>/api/rounds</c>: the run's state and one point per committed round.</summary>
internal sealed record RoundsReport(
    string RunId,
    bool Finished,
    string? FinishReason,
    string Strategy,
    long ModelVersion,
    int RoundsPlanned,
    PrivacyBudgetView? Privacy,
    CurrentRoundView? CurrentRound,
    IReadOnlyList<RoundPoint> Rounds)
{
    public static RoundsReport Build(RoundOrchestrator orchestrator, CoordinatorOptions options)
    {
        var current = orchestrator.CurrentRound;
        var privacy = options.Privacy is { } p
            ? new PrivacyBudgetView(p.TargetEpsilon, p.Delta, orchestrator.SpentEpsilon ?? 0)
            : null;
        return new RoundsReport(
            orchestrator.RunId,
            orchestrator.IsFinished,
            orchestrator.FinishReason,
            options.Privacy?.Describe() ?? orchestrator.StrategyDescription,
            orchestrator.CurrentModel.Version,
            options.Rounds,
            privacy,
            current is null ? null : orchestrator.DisclosesClients
                ? new CurrentRoundView(current.Round, current.Selected.Count, current.AcceptedCount, current.Deadline)
                : new CurrentRoundView(current.Round, null, null, current.Deadline),
            orchestrator.CommittedRounds.Select(RoundPoint.From).ToList());
    }
}
