namespace FedTrain.Coordinator.Registry;

/// <summary>
/// Keeps workers that keep failing out of the cohort for a while. Each closed round reports, per worker that had
/// clients selected, whether the assignment failed (none of its updates was accepted); after
/// <c>failuresToQuarantine</c> failed assignments in a row the worker sits out the next <c>rounds</c> rounds,
/// then gets a fresh start. State lives in memory: a restarted coordinator forgives everyone.
/// </summary>
public sealed class WorkerQuarantine
{
    private readonly int _failuresToQuarantine;
    private readonly int _rounds;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _consecutiveFailures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long From, long Through)> _quarantined = new(StringComparer.Ordinal);

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
    public long? RecordAssignment(string workerId, long round, bool failed)
    {
        lock (_lock)
        {
            if (!failed)
            {
                _consecutiveFailures.Remove(workerId);
                return null;
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

    /// <summary>Failed assignments in a row so far, per worker not (yet) quarantined.</summary>
    public IReadOnlyDictionary<string, int> ConsecutiveFailures()
    {
        lock (_lock)
        {
            return new Dictionary<string, int>(_consecutiveFailures, StringComparer.Ordinal);
        }
    }
}
