namespace FedTrain.Coordinator.Intake;

/// <summary>
/// One node's share of a round: the example-weighted sum of the updates it received, kept as a file on the shared run
/// directory (<see cref="PartialSumFile"/>), and what it holds.
/// </summary>
/// <param name="Node">The node that received and summed the updates.</param>
/// <param name="Round">The round.</param>
/// <param name="Clients">Whose updates it holds, in id order.</param>
/// <param name="TotalWeight">Σ of their weights: example counts (capped as the leader caps them), or 1 each under DP.</param>
/// <param name="Path">The file holding Σ weight · update as float32, or under DP Σ clip(update, C) as float64.</param>
/// <param name="ClipNorm">Under DP, the clip norm C the updates were clipped to; null for a weighted sum.</param>
/// <param name="UnclippedCount">Under DP, how many of the updates had a norm of at most C.</param>
public sealed record PartialSum(
    string Node, long Round, IReadOnlyList<string> Clients, double TotalWeight, string Path, double? ClipNorm = null, int UnclippedCount = 0);
