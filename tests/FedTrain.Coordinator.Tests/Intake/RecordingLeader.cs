using FedTrain.Coordinator.Intake;
using FedTrain.Coordinator.Storage;

namespace FedTrain.Coordinator.Tests.Intake;

/// <summary>A leading node as an intake node sees it: it hands out one ticket and counts what it is told to, or fails as asked.</summary>
internal sealed class RecordingLeader(IntakeTicket? ticket) : IIntakeLeader
{
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
        return Task.FromResult(ticket is not null && ticket.Round == round ? ticket : null);
    }

    public Task RecordAsync(string node, KeptUpdate update, CancellationToken cancellationToken)
    {
        if (Failure is { } failure)
        {
            return Task.FromException(failure);
        }

        lock (_recorded)
        {
            _recorded.Add(update);
        }

        return Task.CompletedTask;
    }
}
