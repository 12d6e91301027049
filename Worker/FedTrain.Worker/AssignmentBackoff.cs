using System.Security.Cryptography;

namespace FedTrain.Worker;

/// <summary>
/// Paces a worker that is handed again an assignment it gave up. The coordinator keeps offering a client's work until
/// the client delivers or is failed, so a worker that abandons it for a reason that persists (a refusal, a broken
/// model) would otherwise ask, fail and ask again at once, in a loop. The first attempt of any assignment is never
/// delayed; each repeat of the same one waits twice as long as the last, up to <c>maximum</c>, with jitter.
/// </summary>
internal sealed class AssignmentBackoff(TimeSpan initial, TimeSpan maximum)
{
    private string? _key;
    private int _abandoned;

    /// <summary>How long to wait before working on <paramref name="key"/>: zero unless it is the assignment last given up.</summary>
    public TimeSpan DelayBefore(string key)
    {
        if (_key != key || _abandoned == 0)
        {
            return TimeSpan.Zero;
        }

        double seconds = Math.Min(maximum.TotalSeconds, initial.TotalSeconds * Math.Pow(2, Math.Min(_abandoned - 1, 30)));
        // 80 % to 120 %: workers that gave up the same round together do not come back together.
        double jitter = 0.8 + (0.4 * RandomNumberGenerator.GetInt32(1001) / 1000);
        return TimeSpan.FromSeconds(seconds * jitter);
    }

    /// <summary>How many times in a row <paramref name="key"/> was given up (0 when it is not the last one given up).</summary>
    public int AbandonedCount(string key) => _key == key ? _abandoned : 0;

    /// <summary>Records how an attempt at <paramref name="key"/> ended.</summary>
    public void Record(string key, bool completed)
    {
        if (completed)
        {
            _key = null;
            _abandoned = 0;
            return;
        }

        if (_key != key)
        {
            _key = key;
            _abandoned = 0;
        }

        _abandoned++;
    }
}
