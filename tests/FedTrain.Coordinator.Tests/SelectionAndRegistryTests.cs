using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Tests;

public sealed class SelectionAndRegistryTests
{
    private static readonly string[] Ten = Enumerable.Range(0, 10).Select(i => $"w{i}").ToArray();

    [Fact]
    public void Selection_is_seeded_sized_and_distinct()
    {
        var a = CohortSelector.Select(Ten, 0.3, 2, seed: 5);
        var b = CohortSelector.Select(Ten, 0.3, 2, seed: 5);
        Assert.Equal(3, a.Count);
        Assert.Equal(a, b);
        Assert.Equal(a.Count, a.Distinct().Count());
        Assert.Contains(Enumerable.Range(0, 20), seed => !CohortSelector.Select(Ten, 0.3, 2, (ulong)seed).SequenceEqual(a));
        Assert.Equal(5, CohortSelector.Select(Ten, 0.1, 5, seed: 1).Count);
        Assert.Equal(Ten, CohortSelector.Select(Ten, 1.0, 2, seed: 1));
    }

    private static WorkerInfo Worker(string id, long examples, params string[] clients) =>
        new(id, (clients.Length == 0 ? [id] : clients).Select(c => new ClientInfo(c, id, examples, [examples])).ToList(), "cpu");

    [Fact]
    public void Clients_belong_to_one_live_worker_at_a_time()
    {
        var clock = new ManualClock();
        var registry = new WorkerRegistry(clock, TimeSpan.FromSeconds(10));
        registry.Register(Worker("w1", 5, "c1", "c2"));
        registry.Register(Worker("w2", 5, "c3"));
        Assert.Equal(["c1", "c2", "c3"], registry.LiveClients().Select(c => c.ClientId));
        Assert.Throws<InvalidOperationException>(() => registry.Register(Worker("w3", 5, "c2")));
        clock.Advance(TimeSpan.FromSeconds(11));
        registry.Touch("w2");
        // w1 went silent: its clients may move to a new worker.
        registry.Register(Worker("w3", 5, "c2"));
        Assert.Equal(["c2", "c3"], registry.LiveClients().Select(c => c.ClientId));
        Assert.Equal("w3", registry.LiveClients()[0].WorkerId);
        Assert.Equal(3, registry.ClientCount);
    }

    [Fact]
    public void Silent_workers_go_gone_and_come_back_when_they_call()
    {
        var clock = new ManualClock();
        var registry = new WorkerRegistry(clock, TimeSpan.FromSeconds(10));
        Assert.True(registry.Register(Worker("a", 10)));
        Assert.False(registry.Register(Worker("a", 12)));
        registry.Register(Worker("b", 10));
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
        registry.Register(Worker("a", 1));
        Assert.False(waiting.IsCompleted);
        registry.Register(Worker("b", 1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
