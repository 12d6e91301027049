using FedTrain.Coordinator.Cluster;

namespace FedTrain.Coordinator.Tests.Cluster;

/// <summary>How the leading node deals a round's uploads over the nodes that advertised an intake port.</summary>
public sealed class IntakeNodeDirectoryTests
{
    private sealed class SilentNode : IIntakeNodeObserver
    {
        public Task<PartialSumMessage?> SealAsync(long round, string roundKey, IReadOnlyList<string> clients) => Task.FromResult<PartialSumMessage?>(null);
    }

    private static IntakeAdvert Advert(string node) => new(node, $"http://127.0.0.1:{5000 + node[^1]}", new SilentNode());

    [Fact]
    public void Without_other_nodes_every_worker_uploads_to_the_leader()
    {
        var directory = new IntakeNodeDirectory("leader", TimeSpan.FromSeconds(3), new ManualClock());
        Assert.Null(directory.EndpointFor("w1", 1));
        // The leader's own advert (it has an intake port too) does not count: its share goes to its worker port.
        directory.Advertise(Advert("leader"));
        Assert.Null(directory.EndpointFor("w1", 1));
        Assert.Null(directory.EndpointFor("w2", 1));
    }

    [Fact]
    public void Deals_uploads_in_turn_over_the_leader_and_the_live_nodes()
    {
        var clock = new ManualClock();
        var directory = new IntakeNodeDirectory("leader", TimeSpan.FromSeconds(3), clock);
        directory.Advertise(Advert("node-b"));
        directory.Advertise(Advert("node-a"));
        directory.Advertise(Advert("leader"));
        var dealt = Enumerable.Range(0, 9).Select(i => directory.EndpointFor($"w{i}", 1)).ToList();
        Assert.Equal(3, dealt.Count(e => e is null));
        Assert.Equal(3, dealt.Count(e => e == Advert("node-a").Endpoint));
        Assert.Equal(3, dealt.Count(e => e == Advert("node-b").Endpoint));
        // A worker asking again in the round keeps its node.
        Assert.Equal(dealt, Enumerable.Range(0, 9).Select(i => directory.EndpointFor($"w{i}", 1)));

        // node-a stops advertising (it died): after three seconds it is dealt no more uploads.
        clock.Advance(TimeSpan.FromSeconds(2));
        directory.Advertise(Advert("node-b"));
        clock.Advance(TimeSpan.FromSeconds(2));
        var later = Enumerable.Range(0, 6).Select(i => directory.EndpointFor($"w{i}", 2)).ToList();
        Assert.DoesNotContain(Advert("node-a").Endpoint, later);
        Assert.Equal(3, later.Count(e => e is null));
        Assert.Equal(3, later.Count(e => e == Advert("node-b").Endpoint));
    }

    private sealed class DeadNode : IIntakeNodeObserver
    {
        public Task<PartialSumMessage?> SealAsync(long round, string roundKey, IReadOnlyList<string> clients) =>
            Task.FromException<PartialSumMessage?>(new InvalidOperationException("The target silo became unavailable"));
    }

    [Fact]
    public async Task A_node_whose_sum_could_not_be_asked_for_is_dealt_no_workers_until_it_advertises_again()
    {
        var directory = new IntakeNodeDirectory("leader", TimeSpan.FromSeconds(3), new ManualClock());
        var dead = new IntakeAdvert("node-a", "http://127.0.0.1:5001", new DeadNode());
        directory.Advertise(dead);
        Assert.Equal(dead.Endpoint, directory.EndpointFor("w1", 1));

        // Its advert is still fresh, but the call failed: the next round, opened at once, deals it nothing.
        await Assert.ThrowsAsync<InvalidOperationException>(() => directory.SealAsync("node-a", 1, "key", ["c1"], CancellationToken.None));
        Assert.Null(directory.EndpointFor("w1", 2));
        Assert.Null(directory.EndpointFor("w2", 2));

        // A node that is alive after all advertises again with its next keep-alive, and is dealt workers again.
        directory.Advertise(Advert("node-a"));
        Assert.Equal(Advert("node-a").Endpoint, directory.EndpointFor("w1", 3));
    }

    [Fact]
    public async Task A_node_that_never_advertised_has_no_sum_to_give()
    {
        var directory = new IntakeNodeDirectory("leader", TimeSpan.FromSeconds(3), new ManualClock());
        Assert.Null(await directory.SealAsync("node-x", 1, "key", ["c1"], CancellationToken.None));
    }
}
