using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Fairness;

namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>
/// One committed round, as the charts plot it; <c>Failures</c> reads "CLIENT: why" for each selected client without an
/// update. Under DP the counts are null and the failures empty: they are withheld.
/// </summary>
internal sealed record RoundPoint(
    long Round,
    double TestAccuracy,
    double TestLoss,
    int? Participants,
    int? Selected,
    double DurationSeconds,
    double? Epsilon,
    double? ClipNorm,
    string? Skipped,
    FairnessReport? Fairness,
    DateTimeOffset CommittedAt,
    IReadOnlyList<string> Failures)
{
    public static RoundPoint From(RoundResult r) => new(
        r.Round, r.TestAccuracy, r.TestLoss, r.ClientDetailWithheld ? null : r.Participants.Count, r.ClientDetailWithheld ? null : r.Selected,
        r.DurationSeconds, r.Epsilon, r.ClipNorm,
        r.SkipReason, r.Fairness, r.CommittedAt, r.Failures);
}
