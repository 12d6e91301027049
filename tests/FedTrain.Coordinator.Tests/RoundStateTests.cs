using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Aggregation;

namespace FedTrain.Coordinator.Tests;

public sealed class RoundStateTests
{
    private static RoundState NewRound(params string[] selected) =>
        new("run-1", 3, new ModelSnapshot(2, [0f, 0f]), selected, DateTimeOffset.UtcNow.AddMinutes(1), new WeightedSum(2));

    [Fact]
    public void Completes_when_every_selected_worker_has_an_outcome()
    {
        var round = NewRound("a", "b", "c");
        round.Accept("a", [1, 1], 10);
        round.Fail("b", "went silent");
        Assert.False(round.AllAnswered.IsCompleted);
        Assert.Equal(["c"], round.Pending());
        round.Accept("c", [3, 3], 30);
        Assert.True(round.AllAnswered.IsCompleted);

        var (accepted, failures) = round.Close();
        Assert.Equal(["a", "c"], accepted.Select(p => p.WorkerId));
        Assert.Equal(["b: went silent"], failures);
    }

    [Fact]
    public void Refuses_duplicates_strangers_failed_workers_and_late_updates()
    {
        var round = NewRound("a", "b", "c");
        round.Accept("a", [1, 1], 10);
        Assert.Equal(RejectionKind.Duplicate, Assert.Throws<UpdateRejectedException>(() => round.Accept("a", [1, 1], 10)).Kind);
        Assert.Equal(RejectionKind.NotSelected, Assert.Throws<UpdateRejectedException>(() => round.Accept("z", [1, 1], 10)).Kind);
        round.Fail("b", "bad update");
        Assert.Equal(RejectionKind.RoundClosed, Assert.Throws<UpdateRejectedException>(() => round.Accept("b", [1, 1], 10)).Kind);
        var (_, failures) = round.Close();
        Assert.Contains("c: no update before the deadline", failures);
        Assert.Equal(RejectionKind.RoundClosed, Assert.Throws<UpdateRejectedException>(() => round.Accept("c", [1, 1], 10)).Kind);
        Assert.False(round.IsPending("c"));
    }

    [Fact]
    public void Failing_an_accepted_worker_changes_nothing()
    {
        var round = NewRound("a");
        round.Accept("a", [1, 1], 10);
        round.Fail("a", "late complaint");
        Assert.Empty(round.Close().Failures);
    }

    [Fact]
    public void Metrics_join_the_accepted_result()
    {
        var round = NewRound("a", "b");
        round.RecordMetrics("a", new WorkerMetrics(0.5, 0.8, 0.75, 0.6, 10, 5, 0.01, 0.05));
        round.RecordMetrics("stranger", new WorkerMetrics(1, 1, 1, 1, 1, 1, 1, 1));
        round.Accept("a", [1, 1], 10);
        var result = Assert.Single(round.Close().Accepted);
        Assert.Equal(0.75, result.HoldoutAccuracy);
        Assert.Equal(0.5, result.TrainLoss);
        Assert.Equal(8, result.UpdateBytes);
    }
}
