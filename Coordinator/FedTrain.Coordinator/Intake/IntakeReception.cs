using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Spool;

namespace FedTrain.Coordinator.Intake;

/// <summary>
/// A node's reception of uploads for the node leading the run: the rounds it has tickets for, fetched from the leader
/// on the first upload of each round, and the partial sums the leader collects from it.
/// </summary>
public sealed class IntakeReception(string node, IIntakeLeader leader, RoundUpdateSpool spool)
{
    /// <summary>How long sealing waits for folds still under way when the leader asks for a round's sum.</summary>
    private static readonly TimeSpan SealWait = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private readonly Dictionary<long, Task<IntakeRound?>> _rounds = [];

    /// <summary>This node's name, as the leader knows it.</summary>
    public string Node => node;

    /// <summary>The shared spool uploads are kept in.</summary>
    public RoundUpdateSpool Spool => spool;

    /// <summary>
    /// The round an upload's header names, if the leader has it open with that run and model version: the leader is
    /// asked for the key of the round's current opening each time, and its ticket fetched again when the round was
    /// opened again (a new attempt, another cohort).
    /// </summary>
    /// <exception cref="UpdateRejectedException">Another run, a round that is not open, another model version.</exception>
    public async Task<IntakeRound> RoundAsync(string runId, long round, long modelVersion, CancellationToken cancellationToken)
    {
        string key = await leader.RoundKeyAsync(round, cancellationToken).ConfigureAwait(false)
            ?? throw new UpdateRejectedException(RejectionKind.StaleModel, $"Update is for round {round}, which is not open.");
        Task<IntakeRound?> ticket;
        lock (_lock)
        {
            // A fetch that failed, found the round not open (yet), or holds an earlier opening is done again.
            if (!_rounds.TryGetValue(round, out ticket!)
                || (ticket.IsCompleted && ticket is not { IsCompletedSuccessfully: true, Result: not null })
                || (ticket.IsCompletedSuccessfully && ticket.Result!.Ticket.RoundKey != key))
            {
                // Shared by every upload of the round that arrives meanwhile, so no one upload's cancellation ends it.
                ticket = FetchAsync(round);
                _rounds[round] = ticket;
                // Only the open round and the one before it can still take uploads or be sealed.
                foreach (long old in _rounds.Keys.Where(r => r < round - 1).ToList())
                {
                    _rounds.Remove(old);
                }
            }
        }

        var open = await ticket.WaitAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new UpdateRejectedException(RejectionKind.StaleModel, $"Update is for round {round}, which is not open.");
        if (open.Ticket.RunId != runId)
        {
            throw new UpdateRejectedException(RejectionKind.WrongRun, $"Update is for another run; this is run '{open.Ticket.RunId}'.");
        }

        if (open.Ticket.ModelVersion != modelVersion)
        {
            throw new UpdateRejectedException(
                RejectionKind.StaleModel, $"Update was trained from model version {modelVersion}; the round trains version {open.Ticket.ModelVersion}.");
        }

        return open;
    }

    /// <summary>
    /// The leader's call at round close: this node's sum of exactly <paramref name="clients"/>' updates of the round's
    /// opening <paramref name="roundKey"/>, or null.
    /// </summary>
    public async Task<PartialSum?> SealAsync(long round, string roundKey, IReadOnlyList<string> clients, CancellationToken cancellationToken)
    {
        Task<IntakeRound?>? ticket;
        lock (_lock)
        {
            _rounds.TryGetValue(round, out ticket);
        }

        if (ticket is null || !ticket.IsCompletedSuccessfully || ticket.Result is not { } open || open.Ticket.RoundKey != roundKey)
        {
            return null;
        }

        return await open.SealAsync(clients, SealWait, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IntakeRound?> FetchAsync(long round)
    {
        var ticket = await leader.TicketAsync(round, CancellationToken.None).ConfigureAwait(false);
        return ticket is null ? null : new IntakeRound(ticket, node, leader, spool);
    }
}
