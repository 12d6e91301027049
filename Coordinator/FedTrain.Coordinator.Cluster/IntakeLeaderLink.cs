using FedTrain.Coordinator.Intake;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Storage;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// How this node's intake port reaches the leading node: calls to the run grain, wherever it is active. Orleans'
/// failures (the leader died, the grain is moving, a timeout) become <see cref="LeaderUnreachableException"/>, which the
/// intake port answers UNAVAILABLE, so the worker's retry applies.
/// </summary>
internal sealed class IntakeLeaderLink(IGrainFactory grains) : IIntakeLeader
{
    /// <summary>A record waits for the leader's journal commit; past this the worker is told to try again.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(20);

    private IRunGrain Run => grains.GetGrain<IRunGrain>(IRunGrain.Key);

    public async Task<IntakeTicket?> TicketAsync(long round, CancellationToken cancellationToken)
    {
        var ticket = await Call(Run.GetIntakeTicketAsync(round), cancellationToken).ConfigureAwait(false);
        return ticket?.ToTicket();
    }

    public Task<string?> RoundKeyAsync(long round, CancellationToken cancellationToken) => Call(Run.GetIntakeRoundKeyAsync(round), cancellationToken);

    public async Task RecordAsync(string node, string roundKey, KeptUpdate update, CancellationToken cancellationToken)
    {
        var outcome = await Call(Run.RecordIntakeAsync(node, roundKey, KeptUpdateMessage.From(update)), cancellationToken).ConfigureAwait(false);
        if (outcome.RefusedAs is { } kind)
        {
            throw new UpdateRejectedException((RejectionKind)kind, outcome.Reason);
        }
    }

    private static async Task<T> Call<T>(Task<T> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call.WaitAsync(CallTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Orleans' own failures, a timeout, or the leader failing to count it (not leading yet, fenced, a store
            // error): the outcome is unknown to the worker either way, so it sends the update again.
            throw new LeaderUnreachableException(ex.Message, ex);
        }
    }
}
