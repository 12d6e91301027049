using FedTrain.Privacy;

namespace FedTrain.Coordinator.Strategies;

/// <summary>What a round's aggregation produced.</summary>
/// <param name="Applied">False when the round is skipped and the global model stays as it was.</param>
/// <param name="SkipReason">Why the round was skipped; null when applied.</param>
/// <param name="Privacy">The differentially private release's facts (clip, noise, cohort); null without DP.</param>
public sealed record AggregationOutcome(bool Applied, string? SkipReason = null, DpRoundRelease? Privacy = null)
{
    public static AggregationOutcome Done { get; } = new(true);

    public static AggregationOutcome Skip(string reason) => new(false, reason);
}
