using FedTrain.Coordinator.Cluster;
using Microsoft.Extensions.DependencyInjection;

namespace FedTrain.Coordinator.Tests.Cluster;

/// <summary>
/// The run grain in an in-process Orleans cluster: where it activates, the run is led, and only there; when that node
/// is lost, the other nodes' keep-alive calls (no worker call) bring it back on one of them. The coordinator each node
/// starts is a stand-in; the real one, over real processes, is in the integration tests' NodeLossTests.
/// </summary>
public sealed class RunGrainTests
{
    [Fact]
    public async Task The_run_grain_activates_on_one_node_and_every_caller_hears_that_node_lead()
    {
        await using var cluster = await RunGrainCluster.StartAsync(3);
        var nodes = cluster.Nodes;
        var client = cluster.Client.GetGrain<IRunGrain>(IRunGrain.Key);
        // Every node and an outside client call at once: the grain must still activate once.
        var callers = nodes.Select(node => (Func<Task<RunLeaderStatus>>)node.KeepLeadingAsync)
            .Append(() => client.KeepLeadingAsync().WaitAsync(TimeSpan.FromSeconds(5)))
            .ToList();

        var answers = await RunGrainCluster.KeepLeadingUntilAsync(callers, AllLeading);

        var leader = Assert.Single(nodes, node => node.Leadership.State != RunLeadershipState.Standby);
        Assert.Equal(1, leader.Starter.Starts);
        Assert.All(nodes.Where(node => node != leader), node => Assert.Equal(0, node.Starter.Starts));
        Assert.Equal(leader.Name, cluster.GrainHost()?.Name);
        var expected = new RunLeaderStatus($"{leader.Name} (gRPC port {leader.Silo.SiloAddress.Endpoint.Port})", RunLeadershipState.Leading);
        Assert.Equal(expected, leader.Leadership.Status);
        Assert.All(answers, answer => Assert.Equal(expected, answer));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task When_the_leading_node_is_lost_the_keep_alive_of_the_others_brings_the_run_back_on_one_of_them(bool crash)
    {
        await using var cluster = await RunGrainCluster.StartAsync(3);
        // The nodes' keep-alive calls are the only calls to the grain in this test: no worker, no client.
        cluster.StartKeepAlives();
        var lost = await RunGrainCluster.FirstToLeadAsync(cluster.Nodes);

        if (crash)
        {
            await cluster.CrashAsync(lost);
        }
        else
        {
            await cluster.StopAsync(lost);
        }

        var survivors = cluster.Nodes;
        Assert.Equal(2, survivors.Count);
        Assert.DoesNotContain(survivors, node => node.Name == lost.Name);
        var successor = await RunGrainCluster.FirstToLeadAsync(survivors);

        Assert.Equal(1, successor.Starter.Starts);
        Assert.All(survivors.Where(node => node != successor), node =>
        {
            Assert.Equal(0, node.Starter.Starts);
            Assert.Equal(RunLeadershipState.Standby, node.Leadership.State);
        });
        var answers = await RunGrainCluster.KeepLeadingUntilAsync(Callers(survivors), AllLeading);
        Assert.Equal(successor.Name, cluster.GrainHost()?.Name);
        Assert.All(answers, answer => Assert.Equal(successor.Leadership.Status, answer));
        if (crash)
        {
            // The crashed node said nothing: the others found it dead (a node that leaves names itself as its killer).
            var table = await successor.Silo.ServiceProvider.GetRequiredService<IMembershipTable>().ReadAllAsync(CancellationToken.None);
            var entry = Assert.Single(table.Members, member => member.Item1.SiloAddress.Equals(lost.Silo.SiloAddress)).Item1;
            Assert.Equal(SiloStatus.Dead, entry.Status);
            Assert.NotNull(entry.SuspectTimes);
            Assert.NotEmpty(entry.SuspectTimes);
            Assert.All(entry.SuspectTimes, suspect => Assert.Contains(survivors, node => node.Silo.SiloAddress.Equals(suspect.Item1)));
        }
    }

    [Theory]
    [InlineData(RunLeadershipState.Finished)]
    [InlineData(RunLeadershipState.Stopped)]
    public async Task A_leader_whose_run_ended_answers_how_it_ended_and_keeps_the_run(RunLeadershipState outcome)
    {
        await using var cluster = await RunGrainCluster.StartAsync(2);
        var nodes = cluster.Nodes;
        cluster.StartKeepAlives();
        var leader = await RunGrainCluster.FirstToLeadAsync(nodes);
        var standby = Assert.Single(nodes, node => node != leader);
        var leading = (await RunGrainCluster.KeepLeadingUntilAsync(Callers(nodes), AllLeading))[0].Leader;

        (await leader.Starter.Started).End(outcome);

        Assert.Equal(outcome, await leader.Leadership.Ended.WaitAsync(RunGrainCluster.Guard));
        Assert.True((await leader.Starter.Started).Disposed);
        Assert.Null(leader.Leadership.Failure);
        Assert.False(leader.Leadership.Interrupted);
        if (outcome == RunLeadershipState.Finished)
        {
            // The standby node hears it from the leader and is done too (CoordinatorNode keeps the finished leader in
            // the cluster for a few keep-alive intervals for that); the leader itself is not "finished elsewhere".
            Assert.Equal(RunLeadershipState.Finished, await cluster.KeepAlive(standby).FinishedElsewhere.WaitAsync(RunGrainCluster.Guard));
        }

        // The grain stays where it is and starts the run nowhere again: every node keeps hearing the ended run from
        // the node that led it.
        for (var round = 0; round < 3; round++)
        {
            var answers = await RunGrainCluster.KeepLeadingUntilAsync(Callers(nodes), _ => true);
            Assert.All(answers, answer => Assert.Equal(new RunLeaderStatus(leading, outcome), answer));
        }

        Assert.Equal(leader.Name, cluster.GrainHost()?.Name);
        Assert.Equal(1, leader.Starter.Starts);
        Assert.Equal(0, standby.Starter.Starts);
        Assert.Equal(RunLeadershipState.Standby, standby.Leadership.State);
        Assert.False(cluster.KeepAlive(leader).FinishedElsewhere.IsCompleted);
        // Only a finished run ends the standby nodes, not a leader that stopped (its run failed, or it lost the lease).
        Assert.Equal(outcome == RunLeadershipState.Finished, cluster.KeepAlive(standby).FinishedElsewhere.IsCompleted);
    }

    [Fact]
    public async Task A_start_that_fails_is_reported_by_its_node_and_leaves_its_silo_in_the_cluster()
    {
        await using var cluster = await RunGrainCluster.StartAsync(2);
        var nodes = cluster.Nodes;
        var failure = new InvalidOperationException("The test set does not exist.");
        foreach (var node in nodes)
        {
            node.Starter.FailWith = failure;
        }

        var answers = await RunGrainCluster.KeepLeadingUntilAsync(
            Callers(nodes), answers => answers.All(answer => answer.State == RunLeadershipState.Stopped));

        var leader = Assert.Single(nodes, node => node.Starter.Starts > 0);
        Assert.Equal(1, leader.Starter.Starts);
        Assert.Equal(RunLeadershipState.Stopped, await leader.Leadership.Ended.WaitAsync(RunGrainCluster.Guard));
        Assert.True(leader.Leadership.FailedToStart);
        Assert.Same(failure, leader.Leadership.Failure);
        Assert.Null(leader.Leadership.Host);
        Assert.All(answers, answer => Assert.Equal(new RunLeaderStatus(leader.Name, RunLeadershipState.Stopped), answer));
        var standby = Assert.Single(nodes, node => node != leader);
        Assert.Equal(RunLeadershipState.Standby, standby.Leadership.State);

        // The failure stayed in the leadership: the silo still holds the grain, answers, and is a live member.
        Assert.Equal(leader.Name, cluster.GrainHost()?.Name);
        Assert.Equal(new RunLeaderStatus(leader.Name, RunLeadershipState.Stopped), await standby.KeepLeadingAsync());
        var membership = standby.Silo.ServiceProvider.GetRequiredService<IClusterMembershipService>().CurrentSnapshot;
        Assert.Equal(SiloStatus.Active, membership.GetSiloStatus(leader.Silo.SiloAddress));
    }

    private static List<Func<Task<RunLeaderStatus>>> Callers(IEnumerable<RunGrainNode> nodes) =>
        [.. nodes.Select(node => (Func<Task<RunLeaderStatus>>)node.KeepLeadingAsync)];

    private static bool AllLeading(IReadOnlyList<RunLeaderStatus> answers) =>
        answers.All(answer => answer.State == RunLeadershipState.Leading && answer.Leader == answers[0].Leader);
}
