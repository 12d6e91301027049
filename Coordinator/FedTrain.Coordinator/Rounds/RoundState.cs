using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Spool;
using FedTrain.Coordinator.Storage;
using FedTrain.Coordinator.Strategies;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Compression;

namespace FedTrain.Coordinator.Rounds;

/// <summary>
/// The live state of one round: which clients were selected (and which worker trains each), whose update was
/// folded into the running sum, who failed. Completes when every selected client has an outcome;
/// <see cref="Close"/> freezes it at the deadline so that late updates are refused rather than half-counted.
/// </summary>
public sealed class RoundState
{
    /// <summary>The failure recorded for a selected client that sent nothing before the deadline (a straggler).</summary>
    public const string DeadlineMissed = "no update before the deadline";

    /// <summary>How a failure reason starts when the client's training or held-out figures went NaN/Inf.</summary>
    public const string DivergedPrefix = "diverged: ";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, ClientInfo> _selected;
    private readonly Dictionary<string, ParticipantResult> _accepted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _failed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _diverged = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WorkerMetrics> _metrics = new(StringComparer.Ordinal);
    private readonly IRoundAggregator _aggregator;
    private readonly TaskCompletionSource _allAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _records = [];
    private readonly List<(string Node, KeptUpdate Update)> _remote = [];
    private bool _closed;

    /// <param name="runId">The run.</param>
    /// <param name="round">The round number.</param>
    /// <param name="model">The global model the selected clients train from.</param>
    /// <param name="selected">The cohort; it may be empty under Poisson sampling.</param>
    /// <param name="deadline">When the round stops waiting.</param>
    /// <param name="aggregator">Receives every accepted update, under this round's lock.</param>
    public RoundState(string runId, long round, ModelSnapshot model, IEnumerable<ClientInfo> selected, DateTimeOffset deadline, IRoundAggregator aggregator)
    {
        RunId = runId;
        Round = round;
        Model = model;
        _selected = selected.ToDictionary(c => c.ClientId, StringComparer.Ordinal);
        Deadline = deadline;
        _aggregator = aggregator;
        CompleteIfAllAnswered();
    }

    public string RunId { get; }

    /// <summary>
    /// This opening of the round, unique per attempt: a round that missed its quorum opens again under the same number
    /// with a new cohort, and another node's ticket, records and partial sum must be for this opening, not the last.
    /// </summary>
    public string Key { get; } = Guid.NewGuid().ToString("N");

    public long Round { get; }

    public ModelSnapshot Model { get; }

    public DateTimeOffset Deadline { get; }

    /// <summary>How this round's uploads are encoded; each spool file is decoded with it.</summary>
    public UpdateEncoding Encoding { get; init; }

    /// <summary>With top-k, the fraction of values each block keeps; the other encodings ignore it.</summary>
    public double TopKFraction { get; init; }

    /// <summary>Top-k's m for this round's model (values kept per block); 0 for the other encodings.</summary>
    public int TopKKeptPerBlock => Encoding == UpdateEncoding.TopK ? EncodedLayout.TopKKeptPerBlock(Model.ParameterCount, TopKFraction) : 0;

    /// <summary>Bytes of one update in this round's encoding.</summary>
    public long EncodedUpdateBytes => EncodedLayout.EncodedBytesOfChoice(Encoding, Model.ParameterCount, TopKFraction);

    /// <summary>W3C traceparent of the round's span, handed to workers with their assignment; null when not traced.</summary>
    public string? TraceParent { get; init; }

    /// <summary>Ids of the selected clients.</summary>
    public IReadOnlyCollection<string> Selected => _selected.Keys;

    /// <summary>Completes when every selected client has either an accepted update or a failure.</summary>
    public Task AllAnswered => _allAnswered.Task;

    public bool IsSelected(string clientId) => _selected.ContainsKey(clientId);

    /// <summary>The selected clients of <paramref name="workerId"/> that still owe an update, in id order.</summary>
    public IReadOnlyList<string> PendingClientsOf(string workerId)
    {
        lock (_lock)
        {
            return _closed
                ? []
                : _selected.Values.Where(c => c.WorkerId == workerId && IsPendingLocked(c.ClientId))
                    .Select(c => c.ClientId).Order(StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Selected clients without an outcome yet, with the worker that trains each.</summary>
    public IReadOnlyList<ClientInfo> Pending()
    {
        lock (_lock)
        {
            return _selected.Values.Where(c => IsPendingLocked(c.ClientId)).ToList();
        }
    }

    /// <summary>Checks that an upload for <paramref name="clientId"/> from <paramref name="workerId"/> could still be accepted.</summary>
    public void EnsureCanAccept(string workerId, string clientId)
    {
        lock (_lock)
        {
            ThrowIfCannotAccept(workerId, clientId);
        }
    }

    /// <summary>Folds a validated delta held in memory into the round's running sum, weighted by its example count.</summary>
    public void Accept(string workerId, string clientId, ReadOnlySpan<float> delta, long exampleCount)
    {
        lock (_lock)
        {
            ThrowIfCannotAccept(workerId, clientId);
            AcceptLocked(workerId, clientId, new ArrayUpdate(delta.ToArray()), (long)delta.Length * sizeof(float), exampleCount, _metrics.GetValueOrDefault(clientId));
        }
    }

    /// <summary>
    /// Keeps a verified upload in the spool and folds it from there. Until this call the aggregate has not seen a
    /// byte of the upload, so a refused or cut upload leaves it untouched. The returned task completes once the
    /// update's journal row is durable (where the spool has a journal): acknowledge the upload only then.
    /// </summary>
    /// <param name="journalFailed">Called if the update was folded but its journal row could not be written.</param>
    public Task AcceptUpload(
        string workerId, string clientId, RoundUpdateSpool spool, PendingUpload upload, long exampleCount, Action<Exception> journalFailed)
    {
        ArgumentNullException.ThrowIfNull(spool);
        ArgumentNullException.ThrowIfNull(journalFailed);
        lock (_lock)
        {
            ThrowIfCannotAccept(workerId, clientId);
            var metrics = _metrics.GetValueOrDefault(clientId);
            var record = new KeptUpdate(Round, Model.Version, clientId, workerId, exampleCount, RoundUpdateSpool.FileNameFor(Round, clientId), metrics?.GlobalLoss);
            // The aggregator owns the opened update from here on and closes it once folded.
            var update = spool.Store(upload, record.FileName, Model.ParameterCount, Encoding);
            try
            {
                AcceptLocked(workerId, clientId, update, update.EncodedBytes, exampleCount, metrics);
            }
            catch
            {
                // The aggregator refused it before touching the sum (e.g. q-FedAvg without the client's loss).
                update.Dispose();
                spool.Remove(record.FileName);
                throw;
            }

            // Recorded only once folded and counted here: a crash before the record commits loses the update (the
            // client is asked again), a crash after it resumes with it; neither counts it twice.
            var recorded = Recorded(spool.RecordAsync(RunId, record), journalFailed);
            _records.Add(recorded);
            return recorded;
        }
    }

    /// <summary>
    /// Counts an update another node of the cluster received, checked and kept in the shared spool
    /// (<c>Intake.IntakeDesk</c>): it is recorded in the journal like one received here, but folded only when the round
    /// closes, from that node's partial sum or from its spool file (<see cref="RemoteUpdates"/>). The returned task
    /// completes once the record is durable; the node acknowledges the upload only then.
    /// </summary>
    public Task AcceptRemote(string node, KeptUpdate update, RoundUpdateSpool spool, Action<Exception> journalFailed)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(spool);
        ArgumentNullException.ThrowIfNull(journalFailed);
        lock (_lock)
        {
            ThrowIfCannotAccept(update.WorkerId, update.ClientId);
            if (update.Round != Round || update.ModelVersion != Model.Version)
            {
                throw new UpdateRejectedException(
                    RejectionKind.StaleModel, $"Update is for round {update.Round} from model version {update.ModelVersion}; round {Round} trains version {Model.Version}.");
            }

            if (!File.Exists(Path.Combine(spool.Directory, update.FileName)))
            {
                // The nodes must share the run directory; a node that kept the file elsewhere has not kept it at all.
                throw new InvalidOperationException(
                    $"Node {node} kept update {update.FileName}, but it is not in this node's spool ({spool.Directory}): the run directory must be shared by every node.");
            }

            _remote.Add((node, update));
            _accepted[update.ClientId] = new ParticipantResult(update.ClientId, update.WorkerId, update.ExampleCount, EncodedUpdateBytes);
            CompleteIfAllAnswered();
            var recorded = Recorded(spool.RecordAsync(RunId, update), journalFailed);
            _records.Add(recorded);
            return recorded;
        }
    }

    /// <summary>The updates other nodes received for this round, by node: read them once the round is closed.</summary>
    public IReadOnlyList<(string Node, IReadOnlyList<KeptUpdate> Updates)> RemoteUpdates()
    {
        lock (_lock)
        {
            return _remote.GroupBy(r => r.Node, StringComparer.Ordinal)
                .Select(g => (g.Key, (IReadOnlyList<KeptUpdate>)g.Select(r => r.Update).OrderBy(u => u.ClientId, StringComparer.Ordinal).ToList()))
                .ToList();
        }
    }

    /// <summary>
    /// Whether another node may fold this round's updates into a partial sum for it (see
    /// <see cref="IPartialSumAggregator"/>, and <see cref="IClippedPartialSumAggregator"/> under DP).
    /// </summary>
    public bool SumsPartials => _aggregator is IPartialSumAggregator or IClippedPartialSumAggregator;

    /// <summary>Under DP, the clip norm another node clips this round's updates to before summing them; null otherwise.</summary>
    public double? PartialClipNorm => (_aggregator as IClippedPartialSumAggregator)?.ClipNorm;

    /// <summary>The selected clients with the worker that trains each and the examples each registered.</summary>
    public IReadOnlyList<ClientInfo> SelectedClients()
    {
        lock (_lock)
        {
            return _selected.Values.OrderBy(c => c.ClientId, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>
    /// Takes back the acceptance of updates whose files could not be read when the round closed (another node's
    /// share, lost with the shared storage): they are counted as failures, not as participants.
    /// </summary>
    public static (IReadOnlyList<ParticipantResult> Accepted, IReadOnlyList<string> Failures) WithLost(
        (IReadOnlyList<ParticipantResult> Accepted, IReadOnlyList<string> Failures) closed, IReadOnlyDictionary<string, string> lost)
    {
        ArgumentNullException.ThrowIfNull(lost);
        if (lost.Count == 0)
        {
            return closed;
        }

        return (
            closed.Accepted.Where(p => !lost.ContainsKey(p.ClientId)).ToList(),
            closed.Failures.Concat(lost.Select(l => $"{l.Key}: update lost: {l.Value}")).Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// Completes when every accepted upload's journal record has committed or failed; the round commits (and
    /// discards its kept updates) only after that, so no record of this round is written behind it.
    /// </summary>
    public Task RecordsSettled
    {
        get
        {
            lock (_lock)
            {
                return Task.WhenAll(_records);
            }
        }
    }

    private static async Task Recorded(Task record, Action<Exception> journalFailed)
    {
        try
        {
            await record.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or System.Data.Common.DbException)
        {
            journalFailed(ex);
        }
    }

    /// <summary>
    /// Folds the updates a crashed coordinator kept for this round (the aggregator takes the opened files over); their
    /// clients are not asked again.
    /// </summary>
    public void Restore(IReadOnlyList<(KeptUpdate Update, SpooledUpdate File)> kept)
    {
        ArgumentNullException.ThrowIfNull(kept);
        lock (_lock)
        {
            foreach (var (update, file) in kept)
            {
                ThrowIfCannotAccept(update.WorkerId, update.ClientId);
                var metrics = update.GlobalLoss is { } loss ? new WorkerMetrics(0, 0, 0, 0, update.ExampleCount, 0, 0, 0) { GlobalLoss = loss } : null;
                AcceptLocked(update.WorkerId, update.ClientId, file, file.EncodedBytes, update.ExampleCount, metrics);
            }
        }
    }

    private void AcceptLocked(string workerId, string clientId, IUpdateSource update, long updateBytes, long exampleCount, WorkerMetrics? metrics)
    {
        _aggregator.Add(clientId, update, exampleCount, metrics);
        _accepted[clientId] = new ParticipantResult(clientId, workerId, exampleCount, updateBytes);
        CompleteIfAllAnswered();
    }

    /// <summary>Marks a selected client as failed for this round so the round stops waiting for it.</summary>
    /// <param name="clientId">The client.</param>
    /// <param name="reason">Why, as the round's record shows it.</param>
    /// <param name="diverged">
    /// The client answered, but its training from this round's model went NaN/Inf: a result about the model rather than
    /// an absence, so it counts towards the quorum (see <see cref="DivergedCount"/>).
    /// </param>
    public void Fail(string clientId, string reason, bool diverged = false)
    {
        lock (_lock)
        {
            if (_closed || !_selected.ContainsKey(clientId) || _accepted.ContainsKey(clientId))
            {
                return;
            }

            if (_failed.TryAdd(clientId, reason) && diverged)
            {
                _diverged.Add(clientId);
            }

            CompleteIfAllAnswered();
        }
    }

    /// <summary>Selected clients that failed because their training from this round's model diverged.</summary>
    public int DivergedCount
    {
        get
        {
            lock (_lock)
            {
                return _diverged.Count;
            }
        }
    }

    /// <summary>
    /// Whether a failure a worker reported says the client diverged: "diverged: ..." (or "local training diverged: ..."
    /// from workers that predate the prefix).
    /// </summary>
    public static bool IsDivergence(string workerFailure)
    {
        ArgumentNullException.ThrowIfNull(workerFailure);
        return workerFailure.StartsWith(DivergedPrefix, StringComparison.Ordinal)
            || workerFailure.StartsWith("local training diverged", StringComparison.Ordinal);
    }

    /// <summary>What <paramref name="clientId"/>'s worker reported before uploading, if anything.</summary>
    public WorkerMetrics? MetricsOf(string clientId)
    {
        lock (_lock)
        {
            return _metrics.GetValueOrDefault(clientId);
        }
    }

    /// <summary>Keeps a selected client's reported metrics; they join its result if its update is accepted.</summary>
    public void RecordMetrics(string clientId, WorkerMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        lock (_lock)
        {
            if (_selected.ContainsKey(clientId))
            {
                _metrics[clientId] = metrics;
            }
        }
    }

    /// <summary>Refuses every later update and returns the accepted participants and the failures.</summary>
    public (IReadOnlyList<ParticipantResult> Accepted, IReadOnlyList<string> Failures) Close()
    {
        lock (_lock)
        {
            _closed = true;
            foreach (string pending in _selected.Keys.Where(IsPendingLocked).ToList())
            {
                _failed[pending] = DeadlineMissed;
            }

            return (
                AcceptedWithMetrics(),
                _failed.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}: {f.Value}").ToList());
        }
    }

    /// <summary>Current snapshot of accepted participants (metrics may still arrive).</summary>
    public IReadOnlyList<ParticipantResult> Accepted()
    {
        lock (_lock)
        {
            return AcceptedWithMetrics();
        }
    }

    public int AcceptedCount
    {
        get
        {
            lock (_lock)
            {
                return _accepted.Count;
            }
        }
    }

    private bool IsPendingLocked(string clientId) => !_accepted.ContainsKey(clientId) && !_failed.ContainsKey(clientId);

    private List<ParticipantResult> AcceptedWithMetrics() =>
        _accepted.Values.OrderBy(p => p.ClientId, StringComparer.Ordinal)
            .Select(p => _metrics.TryGetValue(p.ClientId, out var m)
                ? p with
                {
                    TrainLoss = m.TrainLoss,
                    TrainAccuracy = m.TrainAccuracy,
                    HoldoutAccuracy = m.HoldoutAccuracy,
                    HoldoutLoss = m.HoldoutLoss,
                    StepSeconds = m.StepSeconds,
                    TrainSeconds = m.TrainSeconds,
                    RecordEpsilon = m.RecordEpsilon,
                }
                : p)
            .ToList();

    private void ThrowIfCannotAccept(string workerId, string clientId)
    {
        if (_closed)
        {
            throw new UpdateRejectedException(RejectionKind.RoundClosed, $"Round {Round} is closed; the update came too late.");
        }

        if (!_selected.TryGetValue(clientId, out var client) || client.WorkerId != workerId)
        {
            throw new UpdateRejectedException(
                RejectionKind.NotSelected, $"Client {clientId} of worker {workerId} was not selected for round {Round}.");
        }

        if (_accepted.ContainsKey(clientId))
        {
            throw new UpdateRejectedException(RejectionKind.Duplicate, $"Round {Round} already has an update for client {clientId}.");
        }

        if (_failed.TryGetValue(clientId, out string? reason))
        {
            throw new UpdateRejectedException(RejectionKind.RoundClosed, $"Client {clientId} was already marked failed for round {Round}: {reason}.");
        }
    }

    private void CompleteIfAllAnswered()
    {
        if (_accepted.Count + _failed.Count == _selected.Count)
        {
            _allAnswered.TrySetResult();
        }
    }
}
