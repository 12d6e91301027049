using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Spool;
using FedTrain.Coordinator.Storage;
using FedTrain.Coordinator.Strategies;

namespace FedTrain.Coordinator.Tests;

public sealed class RoundStateTests
{
    private static IRoundAggregator Aggregator(int length) =>
        StrategyFactory.Create(new StrategyOptions(), 1, length, 0.1, Path.GetTempPath()).Begin(1, 1, 1);

    // Each client trains on a worker of the same name, except where a test says otherwise.
    private static RoundState NewRound(params string[] selected) =>
        new("run-1", 3, new ModelSnapshot(2, [0f, 0f]), selected.Select(c => new ClientInfo(c, c, 10, [10])),
            DateTimeOffset.UtcNow.AddMinutes(1), Aggregator(2));

    [Fact]
    public void Completes_when_every_selected_worker_has_an_outcome()
    {
        var round = NewRound("a", "b", "c");
        round.Accept("a", "a", [1, 1], 10);
        round.Fail("b", "went silent");
        Assert.False(round.AllAnswered.IsCompleted);
        Assert.Equal(["c"], round.Pending().Select(c => c.ClientId));
        round.Accept("c", "c", [3, 3], 30);
        Assert.True(round.AllAnswered.IsCompleted);

        var (accepted, failures) = round.Close();
        Assert.Equal(["a", "c"], accepted.Select(p => p.ClientId));
        Assert.Equal(["b: went silent"], failures);
    }

    [Fact]
    public void Refuses_duplicates_strangers_failed_workers_and_late_updates()
    {
        var round = NewRound("a", "b", "c");
        round.Accept("a", "a", [1, 1], 10);
        Assert.Equal(RejectionKind.Duplicate, Assert.Throws<UpdateRejectedException>(() => round.Accept("a", "a", [1, 1], 10)).Kind);
        Assert.Equal(RejectionKind.NotSelected, Assert.Throws<UpdateRejectedException>(() => round.Accept("z", "z", [1, 1], 10)).Kind);
        round.Fail("b", "bad update");
        Assert.Equal(RejectionKind.RoundClosed, Assert.Throws<UpdateRejectedException>(() => round.Accept("b", "b", [1, 1], 10)).Kind);
        var (_, failures) = round.Close();
        Assert.Contains("c: no update before the deadline", failures);
        Assert.Equal(RejectionKind.RoundClosed, Assert.Throws<UpdateRejectedException>(() => round.Accept("c", "c", [1, 1], 10)).Kind);
        Assert.Empty(round.PendingClientsOf("c"));
    }

    [Fact]
    public void A_worker_may_only_deliver_its_own_clients()
    {
        var round = new RoundState("run-1", 1, new ModelSnapshot(0, [0f]),
            [new ClientInfo("c1", "w1", 5, [5]), new ClientInfo("c2", "w1", 5, [5]), new ClientInfo("c3", "w2", 5, [5])],
            DateTimeOffset.UtcNow.AddMinutes(1), Aggregator(1));
        Assert.Equal(["c1", "c2"], round.PendingClientsOf("w1"));
        Assert.Equal(RejectionKind.NotSelected, Assert.Throws<UpdateRejectedException>(() => round.Accept("w2", "c1", [1], 5)).Kind);
        round.Accept("w1", "c1", [1], 5);
        Assert.Equal(["c2"], round.PendingClientsOf("w1"));
    }

    [Fact]
    public void Failing_an_accepted_worker_changes_nothing()
    {
        var round = NewRound("a");
        round.Accept("a", "a", [1, 1], 10);
        round.Fail("a", "late complaint");
        Assert.Empty(round.Close().Failures);
    }

    [Fact]
    public void Metrics_join_the_accepted_result()
    {
        var round = NewRound("a", "b");
        round.RecordMetrics("a", new WorkerMetrics(0.5, 0.8, 0.75, 0.6, 10, 5, 0.01, 0.05));
        round.RecordMetrics("stranger", new WorkerMetrics(1, 1, 1, 1, 1, 1, 1, 1));
        round.Accept("a", "a", [1, 1], 10);
        var result = Assert.Single(round.Close().Accepted);
        Assert.Equal(0.75, result.HoldoutAccuracy);
        Assert.Equal(0.5, result.TrainLoss);
        Assert.Equal(8, result.UpdateBytes);
    }

    [Fact]
    public void An_update_another_node_kept_is_counted_once_and_listed_by_node_for_the_close()
    {
        string spoolDirectory = Directory.CreateTempSubdirectory("fedtrain-remote-").FullName;
        try
        {
            var spool = new RoundUpdateSpool(spoolDirectory, journal: null);
            var round = NewRound("a", "b", "c");
            KeptUpdate Kept(string client, string file)
            {
                File.WriteAllBytes(Path.Combine(spoolDirectory, file), new byte[8]);
                return new KeptUpdate(3, 2, client, client, 10, file);
            }

            var journalFailures = new List<Exception>();
            Assert.True(round.AcceptRemote("node-b", Kept("a", "round-000003-a-1.update"), spool, journalFailures.Add).IsCompletedSuccessfully);
            _ = round.AcceptRemote("node-c", Kept("b", "round-000003-b-1.update"), spool, journalFailures.Add);
            Assert.Equal(RejectionKind.Duplicate, Assert.Throws<UpdateRejectedException>(
                () => { _ = round.AcceptRemote("node-c", Kept("a", "round-000003-a-2.update"), spool, journalFailures.Add); }).Kind);
            Assert.Equal(RejectionKind.StaleModel, Assert.Throws<UpdateRejectedException>(
                () => { _ = round.AcceptRemote("node-b", new KeptUpdate(3, 1, "c", "c", 10, "round-000003-b-1.update"), spool, journalFailures.Add); }).Kind);
            // A node that kept the file where this node cannot see it has not kept it at all.
            Assert.Throws<InvalidOperationException>(
                () => { _ = round.AcceptRemote("node-b", new KeptUpdate(3, 2, "c", "c", 10, "round-000003-c-9.update"), spool, journalFailures.Add); });
            round.Accept("c", "c", [1, 1], 10);

            Assert.True(round.AllAnswered.IsCompleted);
            Assert.Equal(["a", "b", "c"], round.Close().Accepted.Select(p => p.ClientId));
            var remote = round.RemoteUpdates();
            Assert.Equal(["node-b", "node-c"], remote.Select(r => r.Node).Order());
            Assert.Equal(["a"], remote.Single(r => r.Node == "node-b").Updates.Select(u => u.ClientId));
            Assert.Empty(journalFailures);

            var (accepted, failures) = RoundState.WithLost(round.Close(), new Dictionary<string, string> { ["b"] = "file gone" });
            Assert.Equal(["a", "c"], accepted.Select(p => p.ClientId));
            Assert.Contains("b: update lost: file gone", failures);
        }
        finally
        {
            Directory.Delete(spoolDirectory, recursive: true);
        }
    }
}
