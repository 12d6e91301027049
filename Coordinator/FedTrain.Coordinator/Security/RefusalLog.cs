using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// Keeps refused calls to at most one log line per caller (a remote address, or a worker for its limits) per
/// interval: the first refusal is logged at once by its owner, with its details; then, while refusals from that caller
/// go on, this logs one line per interval with their count and reasons. So a caller hammering bad credentials or
/// the limits cannot grow the log faster than one line per interval.
/// </summary>
public sealed partial class RefusalLog : IDisposable
{
    // Distinct reasons kept per address and interval; the reasons are a fixed, short list, so this is never reached honestly.
    private const int MaxReasons = 8;

    // Callers tracked in one interval; beyond it (an attacker spread over many addresses) refusals of new callers are
    // counted together under one name, so the table and the log stay bounded.
    private const int MaxCallers = 10_000;
    private const string OtherCallers = "other callers";

    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, int>> _open = new(StringComparer.Ordinal);
    private readonly ITimer _timer;

    public RefusalLog(ILogger<RefusalLog> logger, TimeProvider time, TimeSpan interval)
    {
        _logger = logger;
        _interval = interval;
        _timer = time.CreateTimer(static state => ((RefusalLog)state!).Flush(), this, interval, interval);
    }

    /// <summary>Records one refused call of <paramref name="caller"/>: true when the caller should log it now, false when it is counted for the interval's line.</summary>
    public bool Admit(string caller, string reason)
    {
        lock (_lock)
        {
            if (_open.TryGetValue(caller, out var counts))
            {
                if (counts.Count < MaxReasons || counts.ContainsKey(reason))
                {
                    counts[reason] = counts.GetValueOrDefault(reason) + 1;
                }

                return false;
            }

            if (_open.Count >= MaxCallers)
            {
                if (!_open.TryGetValue(OtherCallers, out var others))
                {
                    _open[OtherCallers] = others = new Dictionary<string, int>(StringComparer.Ordinal);
                }

                others[reason] = others.GetValueOrDefault(reason) + 1;
                return false;
            }

            _open[caller] = new Dictionary<string, int>(StringComparer.Ordinal);
            return true;
        }
    }

    /// <summary>Writes one line per address that was refused since the last flush; forgets addresses that were not.</summary>
    internal void Flush()
    {
        List<(string Address, int Count, string Reasons)> lines = [];
        lock (_lock)
        {
            foreach (var (address, counts) in _open)
            {
                if (counts.Count == 0)
                {
                    _open.Remove(address);
                    continue;
                }

                lines.Add((address, counts.Values.Sum(), string.Join(", ", counts.OrderByDescending(c => c.Value).Select(c => $"{c.Key} ×{c.Value}"))));
                counts.Clear();
            }
        }

        foreach (var (caller, count, reasons) in lines)
        {
            LogRefusedMore(count, caller, _interval.TotalSeconds, reasons);
        }
    }

    public void Dispose() => _timer.Dispose();

    [LoggerMessage(EventId = 603, Level = LogLevel.Warning, Message = "Refused {Count} more calls of {Caller} in the last {Seconds} s: {Reasons}")]
    private partial void LogRefusedMore(int count, string caller, double seconds, string reasons);
}
