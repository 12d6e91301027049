namespace FedTrain.Coordinator.Security;

/// <summary>
/// Limits on the gRPC port: per worker (a call over one is answered RESOURCE_EXHAUSTED), per remote address for
/// callers that hold no credential yet, and on what any caller can make the coordinator hold (connections, health
/// streams, slow or compressed messages).
/// </summary>
public sealed class LimitOptions
{
    /// <summary>Largest total of request bytes in one call (a whole upload stream).</summary>
    public long MaxStreamBytes { get; set; } = 8L << 30;

    /// <summary>Calls one worker may have in flight at once (the long poll, heartbeats and transfers count).</summary>
    public int MaxConcurrentStreamsPerWorker { get; set; } = 32;

    /// <summary>Sustained calls per second per worker (token bucket refill rate).</summary>
    public double RequestsPerSecond { get; set; } = 200;

    /// <summary>Calls a worker may make in a burst above the sustained rate (token bucket size).</summary>
    public int RequestBurst { get; set; } = 400;

    /// <summary>Open connections to the coordinator (both ports together); Kestrel stops accepting beyond it.</summary>
    public int MaxConnections { get; set; } = 1024;

    /// <summary>Open connections to the gRPC port from one remote address; more are closed at once.</summary>
    public int MaxConnectionsPerAddress { get; set; } = 64;

    /// <summary>Concurrent health <c>Watch</c> streams on one connection.</summary>
    public int MaxHealthWatchesPerConnection { get; set; } = 4;

    /// <summary>Concurrent health <c>Watch</c> streams from one remote address.</summary>
    public int MaxHealthWatchesPerAddress { get; set; } = 16;

    /// <summary>Longest a unary call may run whatever deadline its client sets (the assignment long poll waits at most 30 s).</summary>
    public double MaxUnaryCallSeconds { get; set; } = 60;

    /// <summary>Longest an <c>Enroll</c> call may run: a stranger's slow enrolment holds nothing for long.</summary>
    public double EnrollTimeoutSeconds { get; set; } = 15;

    /// <summary>
    /// Slowest a request message may arrive once started, in bytes per second (after a 10 s grace): a half-sent
    /// message is dropped (DEADLINE_EXCEEDED) instead of being held. Also Kestrel's minimum request body rate on the HTTP port.
    /// </summary>
    public int MinRequestBytesPerSecond { get; set; } = 1024;

    /// <summary>Largest inflated-to-compressed ratio of a compressed request message that inflates past 64 KiB.</summary>
    public int MaxDecompressionRatio { get; set; } = 100;

    /// <summary>Credential lookups per second for one remote address beyond the credentials this coordinator issued (token bucket refill rate).</summary>
    public double FailedAuthPerSecond { get; set; } = 10;

    /// <summary>Credential lookups one remote address may make in a burst beyond the sustained rate (token bucket size).</summary>
    public int FailedAuthBurst { get; set; } = 100;

    /// <summary>One log line per remote address per interval counts the refused calls of that interval.</summary>
    public double RefusalLogIntervalSeconds { get; set; } = 10;

    /// <summary>How long a remote address's or worker's idle limiter state is kept before it is dropped.</summary>
    public double IdleCallerSeconds { get; set; } = 300;

    /// <summary>
    /// Most clients one worker may register, whatever its enrolment grants (and the only bound when authentication is
    /// off): the robust rules assume few attackers, so one worker must not become thousands of clients.
    /// </summary>
    public int MaxClientsPerWorker { get; set; } = 1000;

    /// <summary>
    /// Largest FedAvg weight one client's update gets: a larger example count is used as this many. Example counts are
    /// claims the coordinator cannot check, so this bounds how far one client can outweigh the others.
    /// </summary>
    public long MaxExamplesPerClient { get; set; } = 1_000_000_000;

    public void Validate()
    {
        Require(MaxStreamBytes > 0, nameof(MaxStreamBytes));
        Require(MaxConcurrentStreamsPerWorker > 0, nameof(MaxConcurrentStreamsPerWorker));
        Require(double.IsFinite(RequestsPerSecond) && RequestsPerSecond > 0, nameof(RequestsPerSecond));
        Require(RequestBurst > 0, nameof(RequestBurst));
        Require(MaxConnections > 0, nameof(MaxConnections));
        Require(MaxConnectionsPerAddress > 0, nameof(MaxConnectionsPerAddress));
        Require(MaxHealthWatchesPerConnection > 0, nameof(MaxHealthWatchesPerConnection));
        Require(MaxHealthWatchesPerAddress > 0, nameof(MaxHealthWatchesPerAddress));
        Require(double.IsFinite(MaxUnaryCallSeconds) && MaxUnaryCallSeconds > 0, nameof(MaxUnaryCallSeconds));
        Require(double.IsFinite(EnrollTimeoutSeconds) && EnrollTimeoutSeconds > 0, nameof(EnrollTimeoutSeconds));
        Require(MinRequestBytesPerSecond > 0, nameof(MinRequestBytesPerSecond));
        Require(MaxDecompressionRatio > 0, nameof(MaxDecompressionRatio));
        Require(double.IsFinite(FailedAuthPerSecond) && FailedAuthPerSecond > 0, nameof(FailedAuthPerSecond));
        Require(FailedAuthBurst > 0, nameof(FailedAuthBurst));
        Require(double.IsFinite(RefusalLogIntervalSeconds) && RefusalLogIntervalSeconds > 0, nameof(RefusalLogIntervalSeconds));
        Require(double.IsFinite(IdleCallerSeconds) && IdleCallerSeconds > 0, nameof(IdleCallerSeconds));
        Require(MaxClientsPerWorker > 0, nameof(MaxClientsPerWorker));
        Require(MaxExamplesPerClient > 0, nameof(MaxExamplesPerClient));
    }

    private static void Require(bool condition, string option)
    {
        if (!condition)
        {
            throw new ArgumentException($"Option Security.Limits.{option} must be positive.", option);
        }
    }
}
