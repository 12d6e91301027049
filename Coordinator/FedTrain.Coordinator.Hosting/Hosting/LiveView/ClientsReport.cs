using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Fairness;

namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>
/// The document at <c>/api/clients</c>: a round's federated evaluation, one accuracy per evaluated client (sorted,
/// worst first) with the round's fairness summary. Round is null when no round has been evaluated yet. Under DP the
/// list is empty and the summary is the one computed from the round's noised histogram.
/// </summary>
/// <param name="Histogram">Under DP, the buckets the noised fairness figures counted (accuracy at the bucket's centre,
/// clients as released): what the page plots instead of one bar per client. Null without DP.</param>
internal sealed record ClientsReport(
    long? Round, FairnessReport? Fairness, IReadOnlyList<ClientEvaluationView> Clients, IReadOnlyList<HistogramBucketView>? Histogram = null)
{
    /// <summary>Builds the report for <paramref name="round"/>, or for the latest evaluated round when it is null.</summary>
    /// <returns>Null when the requested round is not committed.</returns>
    public static ClientsReport? Build(RoundOrchestrator orchestrator, long? round)
    {
        var committed = orchestrator.CommittedRounds;
        var chosen = round is { } wanted
            ? committed.FirstOrDefault(r => r.Round == wanted)
            : committed.LastOrDefault(r => r.ClientEvaluations.Count > 0 || r.Fairness is not null);
        if (chosen is null)
        {
            return round is null ? new ClientsReport(null, null, []) : null;
        }

        var clients = chosen.ClientEvaluations
            .OrderBy(c => c.Accuracy)
            .ThenBy(c => c.ClientId, StringComparer.Ordinal)
            .Select(c => new ClientEvaluationView(c.ClientId, c.WorkerId, c.Accuracy, c.Loss, c.ExampleCount))
            .ToList();
        var histogram = chosen.Fairness is { NoisyHistogram: { } noisy, NoiseStandardDeviation: { } noise }
            ? HistogramFairness.Weights(noisy, noise)
                .Select((clientsInBucket, bucket) => new HistogramBucketView(HistogramFairness.Centre(bucket, noisy.Count), clientsInBucket))
                .Where(b => b.Clients > 0)
                .ToList()
            : null;
        return new ClientsReport(chosen.Round, chosen.Fairness, clients, histogram);
    }
}
