using FedTrain.Coordinator.Intake;
using FedTrain.Coordinator.Storage;

namespace FedTrain.Coordinator.Tests.Intake;

/// <summary>A leading node as an intake node sees it: it hands out its ticket and counts what it is told to, or fails as asked.</summary>
internal sealed class RecordingLeader(IntakeTicket? ticket) : IIntakeLeader
{
    /// <summary>The open round's ticket; a new one stands for the round opened again.</summary>
    public IntakeTicket? Ticket { get; set; } = ticket;

    private readonly List<KeptUpdate> _recorded = [];

    /// <summary>Thrown by the next records instead of counting them; null counts them.</summary>
    public Exception? Failure { get; set; }

    public IReadOnlyList<KeptUpdate> Recorded
    {
        get
        {
            lock (_recorded)
            {
                return [.. _recorded];
            }
        }
    }

    public int TicketCalls { get; private set; }

    public Task<IntakeTicket?> TicketAsync(long round, CancellationToken cancellationToken)
    {
        TicketCalls++;
        return Task.FromResult(Ticket is { } open && open.Round == round ? open : null);
    }

    public Task<string?> RoundKeyAsync(long round, CancellationToken cancellationToken) =>
        Task.FromResult(Ticket is { } open && open.Round == round ? open.RoundKey : null);

    public Task RecordAsync(string node, string roundKey, KeptUpdate update, CancellationToken cancellationToken)
    {
        if (Failure is { } failure)
        {
            return Task.FromException(failure);
        }

        if (Ticket?.RoundKey != roundKey)
        {
            return Task.FromException(new FedTrain.Coordinator.Rounds.UpdateRejectedException(FedTrain.Coordinator.Rounds.RejectionKind.RoundClosed, "opened again"));
        }

        lock (_recorded)
        {
            _recorded.Add(update);
        }

        return Task.CompletedTask;
    }
}
