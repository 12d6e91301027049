namespace FedTrain.Coordinator.Registry;

/// <summary>
/// Keeps workers that keep failing out of the cohort for a while. Each closed round reports, per worker that had
/// clients selected, whether the assignment failed (none of its updates was accepted); after
/// <c>failuresToQuarantine</c> failed assignments in a row the worker sits out the next <c>rounds</c> rounds,
/// then gets a fresh start. The coordinator saves <see cref="Entries"/> to its store after each closed round and
/// <see cref="Restore"/>s them on resume, so a restart forgives no one.
/// </summary>
public sealed class WorkerQuarantine
{
    private readonly int _failuresToQuarantine;
    private readonly int _rounds;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _consecutiveFailures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long From, long Through)> _quarantined = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _reasons = new(StringComparer.Ordinal);

    /// <param name="failuresToQuarantine">Failed assignments in a row that quarantine a worker; 0 turns quarantine off.</param>
    /// <param name="rounds">Rounds a quarantined worker sits out.</param>
    public WorkerQuarantine(int failuresToQuarantine, int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(failuresToQuarantine);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rounds);
        _failuresToQuarantine = failuresToQuarantine;
        _rounds = rounds;
    }

    /// <summary>
    /// Records the outcome of <paramref name="workerId"/>'s assignment in <paramref name="round"/>. Returns the last
    /// round of its quarantine when this failure starts one, otherwise null.
    /// </summary>
    /// <param name="reason">What went wrong, kept with the worker's state; null records none.</param>
    public long? RecordAssignment(string workerId, long round, bool failed, string? reason = null)
    {
        lock (_lock)
        {
            if (!failed)
            {
                _consecutiveFailures.Remove(workerId);
                if (!_quarantined.ContainsKey(workerId))
                {
                    _reasons.Remove(workerId);
                }

                return null;
            }

            if (reason is not null)
            {
                _reasons[workerId] = reason;
            }

            int failures = _consecutiveFailures.GetValueOrDefault(workerId) + 1;
            if (_failuresToQuarantine == 0 || failures < _failuresToQuarantine)
            {
                _consecutiveFailures[workerId] = failures;
                return null;
            }

            _consecutiveFailures.Remove(workerId);
            long through = round + _rounds;
            _quarantined[workerId] = (round + 1, through);
            return through;
        }
    }

    /// <summary>Whether the worker must sit out <paramref name="round"/>.</summary>
    public bool IsQuarantined(string workerId, long round)
    {
        lock (_lock)
        {
            return _quarantined.TryGetValue(workerId, out var span) && round >= span.From && round <= span.Through;
        }
    }

    /// <summary>Workers quarantined in <paramref name="round"/>, with the last round they sit out.</summary>
    public IReadOnlyDictionary<string, long> Snapshot(long round)
    {
        lock (_lock)
        {
            return _quarantined.Where(q => round >= q.Value.From && round <= q.Value.Through).OrderBy(q => q.Key, StringComparer.Ordinal)
                .ToDictionary(q => q.Key, q => q.Value.Through, StringComparer.Ordinal);
        }
    }

    /// <summary>Why each worker quarantined in <paramref name="round"/> failed last, where known.</summary>
    public IReadOnlyDictionary<string, string> Reasons(long round)
    {
        lock (_lock)
        {
            return _quarantined.Where(q => round >= q.Value.From && round <= q.Value.Through && _reasons.ContainsKey(q.Key))
                .OrderBy(q => q.Key, StringComparer.Ordinal)
                .ToDictionary(q => q.Key, q => _reasons[q.Key], StringComparer.Ordinal);
        }
    }

    /// <summary>Every worker with failures on record or a quarantine (served out or not), in worker id order: what the store keeps.</summary>
    public IReadOnlyList<QuarantineEntry> Entries()
    {
        lock (_lock)
        {
            return _consecutiveFailures.Keys.Union(_quarantined.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .Select(worker => new QuarantineEntry(
                    worker,
                    _consecutiveFailures.GetValueOrDefault(worker),
                    _quarantined.TryGetValue(worker, out var span) ? span.From : null,
                    _quarantined.TryGetValue(worker, out span) ? span.Through : null,
                    _reasons.GetValueOrDefault(worker)))
                .ToList();
        }
    }

    /// <summary>Replaces the state with <paramref name="entries"/>, as saved by an earlier coordinator of the run.</summary>
    /// <exception cref="ArgumentException">An entry is inconsistent (negative count, or only one end of a quarantine).</exception>
    public void Restore(IEnumerable<QuarantineEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries.ToList();
        foreach (var entry in list)
        {
            if (entry.ConsecutiveFailures < 0 || entry.QuarantinedFrom.HasValue != entry.QuarantinedThrough.HasValue
                || entry.QuarantinedFrom > entry.QuarantinedThrough)
            {
                throw new ArgumentException($"Stored quarantine state of worker {entry.WorkerId} is inconsistent: {entry}.", nameof(entries));
            }
        }

        lock (_lock)
        {
            _consecutiveFailures.Clear();
            _quarantined.Clear();
            _reasons.Clear();
            foreach (var entry in list)
            {
                if (entry.ConsecutiveFailures > 0)
                {
                    _consecutiveFailures[entry.WorkerId] = entry.ConsecutiveFailures;
                }

                if (entry is { QuarantinedFrom: { } from, QuarantinedThrough: { } through })
                {
                    _quarantined[entry.WorkerId] = (from, through);
                }

                if (entry.Reason is not null)
                {
                    _reasons[entry.WorkerId] = entry.Reason;
                }
            }
        }
    }

    /// <summary>Failed assignments in a row so far, per worker not (yet) quarantined.</summary>
    public IReadOnlyDictionary<string, int> ConsecutiveFailures()
    {
        lock (_lock)
        {
            return new Dictionary<string, int>(_consecutiveFailures, StringComparer.Ordinal);
        }
    }
}
