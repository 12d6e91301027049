using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Intake;

/// <summary>
/// The leading node's side of the uploads other nodes receive: the open round's ticket they check uploads against, and
/// the counting of each update they kept (<see cref="RoundState.AcceptRemote"/>).
/// </summary>
public sealed partial class IntakeDesk(RoundOrchestrator orchestrator, ILogger logger)
{
    /// <summary>The ticket of <paramref name="round"/> if it is the open round; null otherwise.</summary>
    public IntakeTicket? TicketFor(long round)
    {
        if (orchestrator.CurrentRound is not { } open || open.Round != round)
        {
            return null;
        }

        return new IntakeTicket(
            open.RunId, open.Round, open.Key, open.Model.Version, open.Model.ParameterCount, open.Encoding, open.TopKFraction, orchestrator.Manifest,
            open.SelectedClients().Select(c => new IntakeClient(c.ClientId, c.WorkerId, c.ExampleCount)).ToList(),
            Convert.ToHexStringLower(open.Model.Sha256),
            CheckpointOf(open.Model.Version),
            open.SumsPartials,
            open.PartialClipNorm);
    }

    /// <summary>
    /// The file that holds model <paramref name="version"/>: its round's committed checkpoint, or for the initial model
    /// the copy the leader wrote for the nodes (null if it could not).
    /// </summary>
    private string? CheckpointOf(long version)
    {
        if (version == 0)
        {
            return orchestrator.InitialModelFile;
        }

        var committed = orchestrator.CommittedRounds;
        return committed.Count > 0 && committed[^1].Round == version ? committed[^1].CheckpointPath : null;
    }

    /// <summary>The key of <paramref name="round"/>'s opening if it is the open round; null otherwise.</summary>
    public string? RoundKey(long round) => orchestrator.CurrentRound is { } open && open.Round == round ? open.Key : null;

    /// <summary>
    /// Counts and records an update <paramref name="node"/> kept for the opening <paramref name="roundKey"/> of its
    /// round; completes once the record is durable.
    /// </summary>
    /// <exception cref="UpdateRejectedException">The round does not take it: closed, or opened again since.</exception>
    public Task RecordAsync(string node, string roundKey, KeptUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (orchestrator.CurrentRound is not { } open || open.Round != update.Round)
        {
            throw new UpdateRejectedException(RejectionKind.RoundClosed, $"Round {update.Round} is closed; the update came too late.");
        }

        if (open.Key != roundKey)
        {
            throw new UpdateRejectedException(
                RejectionKind.RoundClosed, $"Round {update.Round} was opened again (a new attempt) after this update was checked; it came too late.");
        }

        return open.AcceptRemote(node, update, orchestrator.UpdateSpool, ex => LogNotDurable(update.Round, node, ex.Message));
    }

    [LoggerMessage(EventId = 140, Level = LogLevel.Error, Message = "Round {Round}: an update kept by node {Node} is counted but its journal record failed: {Reason}")]
    private partial void LogNotDurable(long round, string node, string reason);
}
