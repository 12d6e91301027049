using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// The run grain: its activation is the run's leadership. It holds no state of its own (the run's state is in the
/// database, fenced by the lease); activating it makes its silo's node lead, and its answers tell every node who does.
/// It is also the leader's door for the nodes that receive uploads: their adverts, the open round's ticket, and the
/// counting of the updates they keep (the bytes stay in the shared spool).
/// </summary>
internal sealed class RunGrain(RunLeadership leadership) : Grain, IRunGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        leadership.Lead();
        return Task.CompletedTask;
    }

    public Task<RunLeaderStatus> KeepLeadingAsync() => Task.FromResult(leadership.Status);

    public Task AdvertiseIntakeAsync(IntakeAdvert advert)
    {
        leadership.IntakeNodes.Advertise(advert);
        return Task.CompletedTask;
    }

    public Task<IntakeTicketMessage?> GetIntakeTicketAsync(long round) =>
        Task.FromResult(Desk().TicketFor(round) is { } ticket ? IntakeTicketMessage.From(ticket) : null);

    public Task<string?> GetIntakeRoundKeyAsync(long round) => Task.FromResult(Desk().RoundKey(round));

    public async Task<IntakeRecordOutcome> RecordIntakeAsync(string node, string roundKey, KeptUpdateMessage update)
    {
        ArgumentNullException.ThrowIfNull(update);
        try
        {
            await Desk().RecordAsync(node, roundKey, update.ToUpdate()).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext);
            return IntakeRecordOutcome.Counted;
        }
        catch (UpdateRejectedException rejection)
        {
            return IntakeRecordOutcome.Refused(rejection);
        }
    }

    private Intake.IntakeDesk Desk() =>
        leadership.Host?.IntakeDesk ?? throw new InvalidOperationException($"Node {leadership.NodeName} does not run the round loop (yet).");
}
