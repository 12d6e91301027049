using FedTrain.Core.Aggregation;

namespace FedTrain.Coordinator.Rounds;

/// <summary>
/// The live state of one round: who was selected, whose update was folded into the running sum, who failed.
/// Completes when every selected worker has an outcome; <see cref="Close"/> freezes it at the deadline so that
/// late updates are refused rather than half-counted.
/// </summary>
public sealed class RoundState
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _selected;
    private readonly Dictionary<string, ParticipantResult> _accepted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _failed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WorkerMetrics> _metrics = new(StringComparer.Ordinal);
    private readonly WeightedSum _sum;
    private readonly TaskCompletionSource _allAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;

    public RoundState(string runId, long round, ModelSnapshot model, IEnumerable<string> selected, DateTimeOffset deadline, WeightedSum sum)
    {
        RunId = runId;
        Round = round;
        Model = model;
        _selected = new HashSet<string>(selected, StringComparer.Ordinal);
        Deadline = deadline;
        _sum = sum;
        _sum.Reset();
        if (_selected.Count == 0)
        {
            throw new ArgumentException("A round needs at least one selected worker.", nameof(selected));
        }
    }

    public string RunId { get; }

    public long Round { get; }

    public ModelSnapshot Model { get; }

    public DateTimeOffset Deadline { get; }

    public IReadOnlyCollection<string> Selected => _selected;

    /// <summary>Completes when every selected worker has either an accepted update or a failure.</summary>
    public Task AllAnswered => _allAnswered.Task;

    public bool IsSelected(string workerId) => _selected.Contains(workerId);

    /// <summary>True while the worker is selected and has neither delivered nor failed (it still owes an update).</summary>
    public bool IsPending(string workerId)
    {
        lock (_lock)
        {
            return !_closed && _selected.Contains(workerId) && !_accepted.ContainsKey(workerId) && !_failed.ContainsKey(workerId);
        }
    }

    public IReadOnlyList<string> Pending()
    {
        lock (_lock)
        {
            return _selected.Where(w => !_accepted.ContainsKey(w) && !_failed.ContainsKey(w)).ToList();
        }
    }

    /// <summary>Checks that an upload from <paramref name="workerId"/> could still be accepted (before its bytes arrive).</summary>
    public void EnsureCanAccept(string workerId)
    {
        lock (_lock)
        {
            ThrowIfCannotAccept(workerId);
        }
    }

    /// <summary>Folds a validated delta into the round's running sum, weighted by its example count.</summary>
    public void Accept(string workerId, ReadOnlySpan<float> delta, long exampleCount)
    {
        lock (_lock)
        {
            ThrowIfCannotAccept(workerId);
            _sum.Add(delta, exampleCount);
            _accepted[workerId] = new ParticipantResult(workerId, exampleCount, (long)delta.Length * sizeof(float));
            CompleteIfAllAnswered();
        }
    }

    /// <summary>Marks a selected worker as failed for this round so the round stops waiting for it.</summary>
    public void Fail(string workerId, string reason)
    {
        lock (_lock)
        {
            if (_closed || !_selected.Contains(workerId) || _accepted.ContainsKey(workerId))
            {
                return;
            }

            _failed.TryAdd(workerId, reason);
            CompleteIfAllAnswered();
        }
    }

    /// <summary>Keeps a selected worker's reported metrics; they join its result if its update is accepted.</summary>
    public void RecordMetrics(string workerId, WorkerMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        lock (_lock)
        {
            if (_selected.Contains(workerId))
            {
                _metrics[workerId] = metrics;
            }
        }
    }

    /// <summary>Refuses every later update and returns the accepted participants and the failures.</summary>
    public (IReadOnlyList<ParticipantResult> Accepted, IReadOnlyList<string> Failures) Close()
    {
        lock (_lock)
        {
            _closed = true;
            foreach (string pending in _selected.Where(w => !_accepted.ContainsKey(w) && !_failed.ContainsKey(w)))
            {
                _failed[pending] = "no update before the deadline";
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

    private List<ParticipantResult> AcceptedWithMetrics() =>
        _accepted.Values.OrderBy(p => p.WorkerId, StringComparer.Ordinal)
            .Select(p => _metrics.TryGetValue(p.WorkerId, out var m)
                ? p with
                {
                    TrainLoss = m.TrainLoss,
                    TrainAccuracy = m.TrainAccuracy,
                    HoldoutAccuracy = m.HoldoutAccuracy,
                    HoldoutLoss = m.HoldoutLoss,
                    StepSeconds = m.StepSeconds,
                    TrainSeconds = m.TrainSeconds,
                }
                : p)
            .ToList();

    private void ThrowIfCannotAccept(string workerId)
    {
        if (_closed)
        {
            throw new UpdateRejectedException(RejectionKind.RoundClosed, $"Round {Round} is closed; the update came too late.");
        }

        if (!_selected.Contains(workerId))
        {
            throw new UpdateRejectedException(RejectionKind.NotSelected, $"Worker {workerId} was not selected for round {Round}.");
        }

        if (_accepted.ContainsKey(workerId))
        {
            throw new UpdateRejectedException(RejectionKind.Duplicate, $"Round {Round} already has an update from {workerId}.");
        }

        if (_failed.TryGetValue(workerId, out string? reason))
        {
            throw new UpdateRejectedException(RejectionKind.RoundClosed, $"Worker {workerId} was already marked failed for round {Round}: {reason}.");
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
