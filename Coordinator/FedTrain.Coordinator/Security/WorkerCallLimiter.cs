using System.Collections.Concurrent;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// Per-caller request rate (token bucket) and concurrent-call limits. Each caller has its own bucket and counter,
/// so one flooding worker exhausts only its own allowance.
/// </summary>
public sealed class WorkerCallLimiter
{
    private readonly LimitOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, CallerState> _callers = new(StringComparer.Ordinal);

    public WorkerCallLimiter(LimitOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
    }

    /// <summary>
    /// Admits one call of <paramref name="caller"/>: returns a lease to dispose when the call ends, or null with the
    /// limit that refused it.
    /// </summary>
    public IDisposable? TryAcquire(string caller, out string? refusedBy)
    {
        var state = _callers.GetOrAdd(caller, _ => new CallerState(new TokenBucket(_options.RequestBurst, _options.RequestsPerSecond, _time)));
        if (!state.Bucket.TryTake())
        {
            refusedBy = "request rate";
            return null;
        }

        if (Interlocked.Increment(ref state.InFlight) > _options.MaxConcurrentStreamsPerWorker)
        {
            Interlocked.Decrement(ref state.InFlight);
            refusedBy = "concurrent streams";
            return null;
        }

        refusedBy = null;
        return new Lease(state);
    }

    private sealed class CallerState(TokenBucket bucket)
    {
        public TokenBucket Bucket { get; } = bucket;

#pragma warning disable SA1401, CA1051 // Interlocked needs a field.
        public int InFlight;
#pragma warning restore SA1401, CA1051
    }

    private sealed class Lease(CallerState state) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref state.InFlight);
            }
        }
    }
}
