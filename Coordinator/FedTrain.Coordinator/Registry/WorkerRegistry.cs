namespace FedTrain.Coordinator.Registry;

/// <summary>
/// The workers the coordinator knows, with their last sign of life. A worker that stays silent longer than the
/// timeout counts as gone until it calls again; rounds stop waiting for gone workers.
/// </summary>
public sealed class WorkerRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _workers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _clientOwners = new(StringComparer.Ordinal);
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
    /// <exception cref="InvalidOperationException">A client it claims is served by another live worker.</exception>
    public bool Register(WorkerInfo info) => Replace(info) is null;

    /// <summary>Adds or refreshes a worker; returns what it had registered before (null when it was not known).</summary>
    /// <exception cref="InvalidOperationException">A client it claims is served by another live worker; nothing is changed.</exception>
    public WorkerInfo? Replace(WorkerInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        WorkerInfo? previous;
        lock (_lock)
        {
            foreach (var client in info.Clients)
            {
                if (_clientOwners.TryGetValue(client.ClientId, out string? owner) && owner != info.WorkerId
                    && _workers.TryGetValue(owner, out var other) && !IsGone(other))
                {
                    throw new InvalidOperationException($"Client {client.ClientId} is already served by live worker {owner}.");
                }
            }

            previous = _workers.TryGetValue(info.WorkerId, out var entry) ? entry.Info : null;
            SetLocked(info, previous);
        }

        SignalChange();
        return previous;
    }

    /// <summary>
    /// Undoes <see cref="Replace"/> when what followed it failed: puts back <paramref name="previous"/> (or forgets
    /// the worker when it was new), unless another registration has replaced <paramref name="registered"/> since.
    /// </summary>
    public void Restore(WorkerInfo registered, WorkerInfo? previous)
    {
        ArgumentNullException.ThrowIfNull(registered);
        lock (_lock)
        {
            if (!_workers.TryGetValue(registered.WorkerId, out var entry) || !ReferenceEquals(entry.Info, registered))
            {
                return;
            }

            if (previous is null)
            {
                RemoveOwnership(registered);
                _workers.Remove(registered.WorkerId);
            }
            else
            {
                SetLocked(previous, registered);
            }
        }

        SignalChange();
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

    /// <summary>Clients of the live workers, ordered by client id so selection is reproducible.</summary>
    public IReadOnlyList<ClientInfo> LiveClients()
    {
        lock (_lock)
        {
            return _workers.Values.Where(e => !IsGone(e)).SelectMany(e => e.Info.Clients)
                .Where(c => _clientOwners.GetValueOrDefault(c.ClientId) == c.WorkerId)
                .OrderBy(c => c.ClientId, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Every known worker with its last sign of life, ordered by id (for status pages).</summary>
    public IReadOnlyList<WorkerHealth> Health()
    {
        lock (_lock)
        {
            return _workers.Values.Select(e => new WorkerHealth(e.Info, e.LastSeen, !IsGone(e)))
                .OrderBy(h => h.Info.WorkerId, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Clients ever registered (live or not).</summary>
    public int ClientCount
    {
        get
        {
            lock (_lock)
            {
                return _clientOwners.Count;
            }
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
    public Task WaitForLiveAsync(int count, CancellationToken cancellationToken) =>
        WaitUntilAsync(() => Live().Count >= count, cancellationToken);

    /// <summary>Waits until the live workers serve at least <paramref name="count"/> clients.</summary>
    public Task WaitForLiveClientsAsync(int count, CancellationToken cancellationToken) =>
        WaitUntilAsync(() => LiveClients().Count >= count, cancellationToken);

    private async Task WaitUntilAsync(Func<bool> satisfied, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Take the change signal before checking, so a registration between the two is not missed.
            Task changed;
            lock (_lock)
            {
                changed = _changed.Task;
            }

            if (satisfied())
            {
                return;
            }

            // Re-check periodically too: workers also go gone by silence, which signals nothing.
            await Task.WhenAny(changed, Task.Delay(_timeout / 4, _time, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private bool IsGone(Entry entry) => _time.GetUtcNow() - entry.LastSeen > _timeout;

    private void SetLocked(WorkerInfo info, WorkerInfo? replacing)
    {
        if (replacing is not null)
        {
            RemoveOwnership(replacing);
        }

        foreach (var client in info.Clients)
        {
            _clientOwners[client.ClientId] = info.WorkerId;
        }

        _workers[info.WorkerId] = new Entry(info, _time.GetUtcNow());
    }

    /// <summary>Drops the worker's hold on its clients (those that another worker has taken over are left alone).</summary>
    private void RemoveOwnership(WorkerInfo info)
    {
        foreach (var client in info.Clients)
        {
            if (_clientOwners.TryGetValue(client.ClientId, out string? owner) && owner == info.WorkerId)
            {
                _clientOwners.Remove(client.ClientId);
            }
        }
    }

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
