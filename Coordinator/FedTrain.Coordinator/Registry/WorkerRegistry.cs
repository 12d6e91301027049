namespace FedTrain.Coordinator.Registry;

/// <summary>
/// The workers the coordinator knows, with their last sign of life. A worker that stays silent longer than the
/// timeout counts as gone until it calls again; rounds stop waiting for gone workers.
/// </summary>
public sealed class WorkerRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _workers = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WorkerRegistry(TimeProvider time, TimeSpan timeout)
    {
        _time = time;
        _timeout = timeout;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _workers.Count;
            }
        }
    }

    /// <summary>Adds or refreshes a worker. Returns true when it was not known before.</summary>
    public bool Register(WorkerInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        bool added;
        lock (_lock)
        {
            added = !_workers.ContainsKey(info.WorkerId);
            _workers[info.WorkerId] = new Entry(info, _time.GetUtcNow());
        }

        SignalChange();
        return added;
    }

    /// <summary>Records a sign of life. Returns false for an unknown worker (it should register again).</summary>
    public bool Touch(string workerId)
    {
        lock (_lock)
        {
            if (!_workers.TryGetValue(workerId, out var entry))
            {
                return false;
            }

            bool wasGone = IsGone(entry);
            entry.LastSeen = _time.GetUtcNow();
            if (!wasGone)
            {
                return true;
            }
        }

        SignalChange();
        return true;
    }

    public bool IsKnown(string workerId)
    {
        lock (_lock)
        {
            return _workers.ContainsKey(workerId);
        }
    }

    public WorkerInfo? Find(string workerId)
    {
        lock (_lock)
        {
            return _workers.TryGetValue(workerId, out var entry) ? entry.Info : null;
        }
    }

    /// <summary>Workers seen within the timeout, ordered by id so selection is reproducible.</summary>
    public IReadOnlyList<WorkerInfo> Live()
    {
        lock (_lock)
        {
            return _workers.Values.Where(e => !IsGone(e)).Select(e => e.Info)
                .OrderBy(w => w.WorkerId, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>True when the worker is unknown or has been silent past the timeout.</summary>
    public bool IsGone(string workerId)
    {
        lock (_lock)
        {
            return !_workers.TryGetValue(workerId, out var entry) || IsGone(entry);
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> workers are live.</summary>
    public async Task WaitForLiveAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_workers.Values.Count(e => !IsGone(e)) >= count)
                {
                    return;
                }

                changed = _changed.Task;
            }

            // Re-check periodically too: workers also go gone by silence, which signals nothing.
            await Task.WhenAny(changed, Task.Delay(_timeout / 4, _time, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private bool IsGone(Entry entry) => _time.GetUtcNow() - entry.LastSeen > _timeout;

    private void SignalChange()
    {
        TaskCompletionSource previous;
        lock (_lock)
        {
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    private sealed class Entry(WorkerInfo info, DateTimeOffset lastSeen)
    {
        public WorkerInfo Info { get; } = info;

        public DateTimeOffset LastSeen { get; set; } = lastSeen;
    }
}
