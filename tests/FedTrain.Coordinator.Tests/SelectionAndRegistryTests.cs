using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Tests;

public sealed class SelectionAndRegistryTests
{
    private static readonly string[] Ten = Enumerable.Range(0, 10).Select(i => $"w{i}").ToArray();

    [Fact]
    public void Selection_is_seeded_sized_and_distinct()
    {
        var a = WorkerSelector.Select(Ten, 0.3, 2, seed: 5);
        var b = WorkerSelector.Select(Ten, 0.3, 2, seed: 5);
        Assert.Equal(3, a.Count);
        Assert.Equal(a, b);
        Assert.Equal(a.Count, a.Distinct().Count());
        Assert.Contains(Enumerable.Range(0, 20), seed => !WorkerSelector.Select(Ten, 0.3, 2, (ulong)seed).SequenceEqual(a));
        Assert.Equal(5, WorkerSelector.Select(Ten, 0.1, 5, seed: 1).Count);
        Assert.Equal(Ten, WorkerSelector.Select(Ten, 1.0, 2, seed: 1));
    }

    [Fact]
    public void Silent_workers_go_gone_and_come_back_when_they_call()
    {
        var clock = new ManualClock();
        var registry = new WorkerRegistry(clock, TimeSpan.FromSeconds(10));
        Assert.True(registry.Register(new WorkerInfo("a", 10, [10], "cpu")));
        Assert.False(registry.Register(new WorkerInfo("a", 12, [12], "cpu")));
        registry.Register(new WorkerInfo("b", 10, [10], "cpu"));
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.True(registry.Touch("a"));
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(["a"], registry.Live().Select(w => w.WorkerId));
        Assert.True(registry.IsGone("b"));
        Assert.True(registry.Touch("b"));
        Assert.Equal(["a", "b"], registry.Live().Select(w => w.WorkerId));
        Assert.False(registry.Touch("stranger"));
        Assert.Equal(12, registry.Find("a")!.ExampleCount);
    }

    [Fact]
    public async Task Waiting_for_workers_returns_once_enough_registered()
    {
        var registry = new WorkerRegistry(TimeProvider.System, TimeSpan.FromSeconds(30));
        var waiting = registry.WaitForLiveAsync(2, CancellationToken.None);
        registry.Register(new WorkerInfo("a", 1, [1], "cpu"));
        Assert.False(waiting.IsCompleted);
        registry.Register(new WorkerInfo("b", 1, [1], "cpu"));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
