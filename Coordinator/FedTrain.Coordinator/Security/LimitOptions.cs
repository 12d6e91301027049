namespace FedTrain.Coordinator.Security;

/// <summary>Per-worker limits on the gRPC port; a call over any of them is answered RESOURCE_EXHAUSTED.</summary>
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
