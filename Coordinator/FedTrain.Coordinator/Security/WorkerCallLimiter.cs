using System.Collections.Concurrent;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// Per-caller request rate (token bucket) and concurrent-call limits. Each caller has its own bucket and counter,
/// so one flooding worker exhausts only its own allowance. A caller with no call in flight for
/// <see cref="LimitOptions.IdleCallerSeconds"/> is forgotten, so callers that come and go (every address that ever
/// enrolled or probed) do not grow the table for ever; a forgotten caller starts again with a full bucket, which
/// is what an idle caller's bucket holds by then anyway.
/// </summary>
public sealed class WorkerCallLimiter
{
    private readonly LimitOptions _options;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idle;
    private readonly ConcurrentDictionary<string, CallerState> _callers = new(StringComparer.Ordinal);
    private readonly SweepSchedule _sweeps;

    public WorkerCallLimiter(LimitOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _time = time;
        _idle = TimeSpan.FromSeconds(options.IdleCallerSeconds);
        _sweeps = new SweepSchedule(_idle, time.GetUtcNow());
    }

    /// <summary>Callers whose state is kept now.</summary>
    public int TrackedCallers => _callers.Count;

    /// <summary>
    /// Admits one call of <paramref name="caller"/>: returns a lease to dispose when the call ends, or null with the
    /// limit that refused it.
    /// </summary>
    public IDisposable? TryAcquire(string caller, out string? refusedBy)
    {
        var now = _time.GetUtcNow();
        SweepIfDue(now);
        while (true)
        {
            var state = _callers.GetOrAdd(caller, _ => new CallerState(new TokenBucket(_options.RequestBurst, _options.RequestsPerSecond, _time), now));
            lock (state.Lock)
            {
                if (state.Evicted)
                {
                    continue; // swept between the lookup and the lock: take the fresh entry
                }

                state.LastUsed = now;
                if (!state.Bucket.TryTake())
                {
                    refusedBy = "request rate";
                    return null;
                }

                if (state.InFlight >= _options.MaxConcurrentStreamsPerWorker)
                {
                    refusedBy = "concurrent streams";
                    return null;
                }

                state.InFlight++;
                refusedBy = null;
                return new Lease(state, _time);
            }
        }
    }

    /// <summary>Drops the callers with nothing in flight that have been idle longer than the idle time.</summary>
    internal void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (key, state) in _callers)
        {
            lock (state.Lock)
            {
                if (state.InFlight == 0 && now - state.LastUsed > _idle)
                {
                    state.Evicted = true;
                    _callers.TryRemove(new KeyValuePair<string, CallerState>(key, state));
                }
            }
        }
    }

    private void SweepIfDue(DateTimeOffset now)
    {
        if (_sweeps.IsDue(now))
        {
            Sweep();
        }
    }

    private sealed class CallerState(TokenBucket bucket, DateTimeOffset created)
    {
        public Lock Lock { get; } = new();

        public TokenBucket Bucket { get; } = bucket;

        public int InFlight { get; set; }

        public DateTimeOffset LastUsed { get; set; } = created;

        public bool Evicted { get; set; }
    }

    private sealed class Lease(CallerState state, TimeProvider time) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (state.Lock)
                {
                    state.InFlight--;
                    state.LastUsed = time.GetUtcNow();
                }
            }
        }
    }
}
