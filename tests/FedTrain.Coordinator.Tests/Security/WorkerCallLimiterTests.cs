using FedTrain.Coordinator.Security;

namespace FedTrain.Coordinator.Tests.Security;

/// <summary>The call limiter's per-caller state: kept while a caller is active or has calls in flight, dropped once idle.</summary>
public sealed class WorkerCallLimiterTests
{
    [Fact]
    public void Idle_callers_are_forgotten_and_callers_with_calls_in_flight_are_kept()
    {
        var clock = new ManualClock();
        var limiter = new WorkerCallLimiter(new LimitOptions { IdleCallerSeconds = 60 }, clock);
        foreach (int i in Enumerable.Range(0, 1000))
        {
            limiter.TryAcquire($"enroll@10.0.{i / 256}.{i % 256}", out _)!.Dispose();
        }

        using var longPoll = limiter.TryAcquire("worker-1", out _);
        Assert.Equal(1001, limiter.TrackedCallers);

        clock.Advance(TimeSpan.FromSeconds(61));
        using var next = limiter.TryAcquire("worker-2", out _); // the next call sweeps

        Assert.Equal(2, limiter.TrackedCallers); // worker-1 still has its long poll in flight; worker-2 just called
        clock.Advance(TimeSpan.FromSeconds(30));
        limiter.Sweep();
        Assert.Equal(2, limiter.TrackedCallers); // neither is idle for 60 s yet
    }

    [Fact]
    public void A_forgotten_caller_comes_back_with_its_limits_intact()
    {
        var clock = new ManualClock();
        var limiter = new WorkerCallLimiter(new LimitOptions { IdleCallerSeconds = 60, MaxConcurrentStreamsPerWorker = 2 }, clock);
        limiter.TryAcquire("worker-1", out _)!.Dispose();
        clock.Advance(TimeSpan.FromSeconds(61));
        limiter.Sweep();
        Assert.Equal(0, limiter.TrackedCallers);

        using var first = limiter.TryAcquire("worker-1", out _);
        using var second = limiter.TryAcquire("worker-1", out _);
        var third = limiter.TryAcquire("worker-1", out string? refusedBy);

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(third);
        Assert.Equal("concurrent streams", refusedBy);
    }
}
