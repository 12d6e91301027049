using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Storage;

/// <summary>
/// A round that was aggregated and checkpointed but not yet committed (evaluation still running). A coordinator
/// restarted after a crash finishes this round from its checkpoint instead of training it again, so a noised
/// release is never replaced by a second, differently noised one.
/// </summary>
/// <param name="Round">The round number; the model it produced has this version.</param>
/// <param name="Attempt">The attempt of the round that was aggregated.</param>
/// <param name="Selected">Clients selected for the attempt.</param>
/// <param name="Participants">Clients whose updates were aggregated.</param>
/// <param name="Failures">Selected clients without an update, with the reason.</param>
/// <param name="DurationSeconds">Time from the attempt's start to its checkpoint.</param>
/// <param name="UpdateBytes">Size of one update, in bytes.</param>
/// <param name="CheckpointPath">The aggregated model, already durable.</param>
public sealed record PendingRound(
    long Round,
    int Attempt,
    int Selected,
    IReadOnlyList<ParticipantResult> Participants,
    IReadOnlyList<string> Failures,
    double DurationSeconds,
    long UpdateBytes,
    string CheckpointPath)
{
    /// <summary>Why the strategy kept the previous model; null when it aggregated.</summary>
    public string? SkipReason { get; init; }

    /// <summary>ε spent by the run including this round's release; null without DP.</summary>
    public double? Epsilon { get; init; }

    /// <summary>The clip norm of this round under DP; null without DP.</summary>
    public double? ClipNorm { get; init; }
}
