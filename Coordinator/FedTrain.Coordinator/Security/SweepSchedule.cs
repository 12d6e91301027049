namespace FedTrain.Coordinator.Security;

/// <summary>
/// When a per-caller table may be swept for idle entries: a sweep walks the whole table, so at most one per half the
/// idle time keeps the cost per call small while no idle entry outlives 1.5 × the idle time.
/// </summary>
internal sealed class SweepSchedule(TimeSpan idle, DateTimeOffset start)
{
    private readonly Lock _lock = new();
    private DateTimeOffset _last = start;

    /// <summary>True at most once per half idle time: the caller sweeps then.</summary>
    public bool IsDue(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (now - _last < idle / 2)
            {
                return false;
            }

            _last = now;
            return true;
        }
    }
}
