using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Fairness;

namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>One committed round, as the charts plot it; the counts are null under DP, where they are withheld.</summary>
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
    DateTimeOffset CommittedAt)
{
    public static RoundPoint From(RoundResult r) => new(
        r.Round, r.TestAccuracy, r.TestLoss, r.ClientDetailWithheld ? null : r.Participants.Count, r.ClientDetailWithheld ? null : r.Selected,
        r.DurationSeconds, r.Epsilon, r.ClipNorm,
        r.SkipReason, r.Fairness, r.CommittedAt);
}
