namespace FedTrain.Coordinator.Security;

/// <summary>A token bucket: holds up to <c>capacity</c> tokens, refilled continuously at <c>ratePerSecond</c>. Thread-safe.</summary>
internal sealed class TokenBucket
{
    private readonly double _capacity;
    private readonly double _ratePerSecond;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _lastTimestamp;

    public TokenBucket(double capacity, double ratePerSecond, TimeProvider time)
    {
        _capacity = capacity;
        _ratePerSecond = ratePerSecond;
        _time = time;
        _tokens = capacity;
        _lastTimestamp = time.GetTimestamp();
    }

    /// <summary>Takes one token; false when the bucket is empty.</summary>
    public bool TryTake()
    {
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            _tokens = Math.Min(_capacity, _tokens + (_time.GetElapsedTime(_lastTimestamp, now).TotalSeconds * _ratePerSecond));
            _lastTimestamp = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            return true;
        }
    }
}
