using System.Collections.Concurrent;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// Keeps bad credentials away from the store. The credentials this coordinator issued (loaded at start, added at
/// enrolment) are looked up freely; any other presented credential costs its remote address a token from a small
/// bucket, so one address can make only a few store lookups a second, and a credential found unknown is remembered
/// (negative cache) and refused without a lookup when presented again. Per-address state idle for the idle time is
/// dropped.
/// </summary>
internal sealed class AuthenticationThrottle
{
    /// <summary>The reason <see cref="MayLookUp"/> gives when the address's allowance is used up.</summary>
    public const string ThrottledReason = "too many lookups of unknown credentials from this address";

    // Unknown credentials remembered at once; beyond it the oldest half is dropped (an attacker inventing credentials
    // gains nothing from that: the address's bucket still bounds its lookups).
    private const int MaxUnknown = 16_384;
    private static readonly TimeSpan UnknownLifetime = TimeSpan.FromMinutes(10);

    private readonly LimitOptions _options;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idle;
    private readonly ConcurrentDictionary<string, byte[]> _issued = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _unknown = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AddressState> _addresses = new(StringComparer.Ordinal);
    private readonly SweepSchedule _sweeps;

    public AuthenticationThrottle(LimitOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _idle = TimeSpan.FromSeconds(options.IdleCallerSeconds);
        _sweeps = new SweepSchedule(_idle, time.GetUtcNow());
    }

    /// <summary>Addresses whose lookup allowance is kept now.</summary>
    public int TrackedAddresses => _addresses.Count;

    /// <summary>Remembers a credential this coordinator issued: presenting it never costs its address a lookup token.</summary>
    public void Issued(string credentialId, byte[] secretHash) => _issued[credentialId] = secretHash;

    /// <summary>Forgets an issued credential found revoked or of another run: from now on it is looked up like any other.</summary>
    public void Forget(string credentialId) => _issued.TryRemove(credentialId, out _);

    /// <summary>Whether the store may be asked about this credential now; otherwise <paramref name="reason"/> says why not.</summary>
    public bool MayLookUp(string address, string credentialId, byte[] secretHash, out string? reason)
    {
        var now = _time.GetUtcNow();
        SweepIfDue(now);
        if (_issued.TryGetValue(credentialId, out byte[]? known) && SecretToken.HashesMatch(known, secretHash))
        {
            reason = null;
            return true;
        }

        if (_unknown.TryGetValue(Key(credentialId, secretHash), out var until) && until > now)
        {
            reason = "unknown credential (remembered)";
            return false;
        }

        var state = _addresses.GetOrAdd(address, _ => new AddressState(new TokenBucket(_options.FailedAuthBurst, _options.FailedAuthPerSecond, _time)));
        state.Touch(now);
        if (!state.Bucket.TryTake())
        {
            reason = ThrottledReason;
            return false;
        }

        reason = null;
        return true;
    }

    /// <summary>Remembers a credential the store does not know (or whose secret does not match).</summary>
    public void Unknown(string credentialId, byte[] secretHash)
    {
        var now = _time.GetUtcNow();
        if (_unknown.Count >= MaxUnknown)
        {
            foreach (var entry in _unknown.OrderBy(e => e.Value).Take(MaxUnknown / 2))
            {
                _unknown.TryRemove(entry);
            }
        }

        _unknown[Key(credentialId, secretHash)] = now + UnknownLifetime;
    }

    internal void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (address, state) in _addresses)
        {
            if (now - state.LastUsed > _idle)
            {
                _addresses.TryRemove(new KeyValuePair<string, AddressState>(address, state));
            }
        }

        foreach (var (key, until) in _unknown)
        {
            if (until <= now)
            {
                _unknown.TryRemove(new KeyValuePair<string, DateTimeOffset>(key, until));
            }
        }
    }

    private static string Key(string credentialId, byte[] secretHash) => credentialId + ":" + Convert.ToBase64String(secretHash);

    private void SweepIfDue(DateTimeOffset now)
    {
        if (_sweeps.IsDue(now))
        {
            Sweep();
        }
    }

    private sealed class AddressState(TokenBucket bucket)
    {
        // Ticks, so that concurrent calls from one address update it atomically.
        private long _lastUsedTicks;

        public TokenBucket Bucket { get; } = bucket;

        public DateTimeOffset LastUsed => new(Interlocked.Read(ref _lastUsedTicks), TimeSpan.Zero);

        public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastUsedTicks, now.UtcTicks);
    }
}
