using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Spool;
using FedTrain.Coordinator.Storage;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Checkpoints;
using FedTrain.Core.Faults;

namespace FedTrain.Coordinator.Intake;

/// <summary>
/// One round's uploads as a node that is not leading the run receives them: it checks each against the round's ticket,
/// keeps it in the shared spool, has the leader count it, and folds it into this node's partial sum, which the leader
/// collects once when the round closes (<see cref="SealAsync"/>) instead of reading every update.
/// </summary>
/// <remarks>
/// The partial sum is a convenience, the spool is the record: every update is durable in the shared spool and counted
/// by the leader before it is acknowledged, so if this node dies, or its sum cannot be trusted, the leader reads the
/// same updates from the spool and nothing acknowledged is lost or counted twice.
/// </remarks>
public sealed class IntakeRound
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, IntakeClient> _clients;
    private readonly string _node;
    private readonly IIntakeLeader _leader;
    private readonly RoundUpdateSpool _spool;
    private readonly HashSet<string> _folded = new(StringComparer.Ordinal);
    private readonly Lazy<Task<ModelSnapshot?>> _model;

    // Null once there is no sum to give: the round sums nothing per node, it was sealed, or a fold failed.
    private NodeSum? _sum;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IntakeRound(IntakeTicket ticket, string node, IIntakeLeader leader, RoundUpdateSpool spool)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        Ticket = ticket;
        _node = node;
        _leader = leader;
        _spool = spool;
        _clients = ticket.Clients.ToDictionary(c => c.ClientId, StringComparer.Ordinal);
        _sum = NodeSum.For(ticket);
        _model = new Lazy<Task<ModelSnapshot?>>(() => Task.Run(LoadModel));
    }

    /// <summary>
    /// The round's model, read once from its committed checkpoint on the shared run directory and checked against the
    /// ticket's digest; null when this node holds no copy (the initial model, or a checkpoint it cannot read or that is
    /// not the model the leader trains): workers then download from the leader.
    /// </summary>
    public Task<ModelSnapshot?> ModelAsync() => _model.Value;

    public IntakeTicket Ticket { get; }

    public long Round => Ticket.Round;

    /// <summary>
    /// Checks an upload's header against the ticket before a byte of its payload is kept: the client was selected and
    /// is trained by the sending worker, and its example count is within what it registered.
    /// </summary>
    /// <exception cref="UpdateRejectedException">Why not.</exception>
    public void Check(string workerId, string clientId, long exampleCount)
    {
        if (!_clients.TryGetValue(clientId, out var client) || client.WorkerId != workerId)
        {
            throw new UpdateRejectedException(RejectionKind.NotSelected, $"Client {clientId} of worker {workerId} was not selected for round {Round}.");
        }

        ExampleCountCheck.Require(exampleCount, client.ExampleCount, clientId);
    }

    /// <summary>
    /// Keeps a verified upload: moves it into place in the shared spool (durably), has the leader count and record it,
    /// then folds it into this node's partial sum. Acknowledge the upload once this completes.
    /// </summary>
    /// <param name="weight">The update's weight, capped as the leader caps example counts.</param>
    /// <exception cref="UpdateRejectedException">The leader refused it (closed, duplicate); the file is removed.</exception>
    public async Task KeepAsync(PendingUpload upload, string workerId, string clientId, long weight, CancellationToken cancellationToken)
    {
        var record = new KeptUpdate(Round, Ticket.ModelVersion, clientId, workerId, weight, RoundUpdateSpool.UniqueFileNameFor(Round, clientId));
        var update = _spool.Store(upload, record.FileName, Ticket.ParameterCount, Ticket.Encoding);
        try
        {
            _spool.SyncDirectory();
            try
            {
                await _leader.RecordAsync(_node, Ticket.RoundKey, record, cancellationToken).ConfigureAwait(false);
            }
            catch (UpdateRejectedException)
            {
                // The leader said no for certain: nothing refers to the file. Any other failure leaves it where it is,
                // since the leader may have counted it; the round's discard removes it if not.
                update.Dispose();
                _spool.Remove(record.FileName);
                throw;
            }

            Fold(clientId, update, weight);
        }
        finally
        {
            update.Dispose();
        }
    }

    /// <summary>
    /// Writes the sum of exactly <paramref name="clients"/>' updates, once they are all folded (waiting up to
    /// <paramref name="wait"/> for folds under way), and ends this round here. Null when there is no such sum: the
    /// round sums no partials, a fold failed, or the updates folded here are not exactly those.
    /// </summary>
    public async Task<PartialSum?> SealAsync(IReadOnlyList<string> clients, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clients);
        var wanted = clients.ToHashSet(StringComparer.Ordinal);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_sum is null || _folded.IsSupersetOf(wanted))
                {
                    break;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        // Dies holding the round's sum: the leader then reads this node's updates from the shared spool.
        FaultInjection.Reached("seal", Round);
        NodeSum? sum;
        lock (_lock)
        {
            sum = _sum;
            _sum = null;
            if (sum is null || !_folded.SetEquals(wanted))
            {
                return null;
            }
        }

        string path = Path.Combine(_spool.Directory, RoundUpdateSpool.PartialSumFileNameFor(Round, _node));
        return sum.Write(path, _node, Round, wanted.Order(StringComparer.Ordinal).ToList());
    }

    private ModelSnapshot? LoadModel()
    {
        if (Ticket.ModelCheckpoint is not { } checkpoint)
        {
            return null;
        }

        try
        {
            var model = new ModelSnapshot(Ticket.ModelVersion, SafetensorsFile.Read(checkpoint, Ticket.Manifest));
            return Convert.ToHexStringLower(model.Sha256) == Ticket.ModelSha256 ? model : null;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void Fold(string clientId, SpooledUpdate update, long weight)
    {
        lock (_lock)
        {
            if (_sum is not null)
            {
                try
                {
                    _sum.Add(update, weight);
                    _folded.Add(clientId);
                }
                catch (Exception ex) when (ex is IOException or InvalidDataException or ArgumentException)
                {
                    // The sum may hold part of this update: the leader reads this node's updates from the spool instead.
                    _sum = null;
                }
            }

            var changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
        }
    }
}
