using FedTrain.Coordinator.Registry;

namespace FedTrain.Coordinator.Tests;

public sealed class WorkerQuarantineTests
{
    [Fact]
    public void K_failed_assignments_in_a_row_quarantine_a_worker_for_the_next_rounds()
    {
        var quarantine = new WorkerQuarantine(failuresToQuarantine: 3, rounds: 2);
        Assert.Null(quarantine.RecordAssignment("w1", 1, failed: true));
        Assert.Null(quarantine.RecordAssignment("w1", 2, failed: true));
        Assert.Equal(2, quarantine.ConsecutiveFailures()["w1"]);
        Assert.Equal(5L, quarantine.RecordAssignment("w1", 3, failed: true));

        Assert.False(quarantine.IsQuarantined("w1", 3));
        Assert.True(quarantine.IsQuarantined("w1", 4));
        Assert.True(quarantine.IsQuarantined("w1", 5));
        Assert.False(quarantine.IsQuarantined("w1", 6));
        Assert.Equal(new Dictionary<string, long> { ["w1"] = 5 }, quarantine.Snapshot(4));
        Assert.Empty(quarantine.Snapshot(6));
        // Served out, it starts afresh: one more failure does not send it straight back.
        Assert.Null(quarantine.RecordAssignment("w1", 6, failed: true));
        Assert.False(quarantine.IsQuarantined("w1", 7));
    }

    [Fact]
    public void A_delivered_assignment_resets_the_count_and_workers_are_counted_apart()
    {
        var quarantine = new WorkerQuarantine(failuresToQuarantine: 2, rounds: 1);
        Assert.Null(quarantine.RecordAssignment("w1", 1, failed: true));
        Assert.Null(quarantine.RecordAssignment("w1", 2, failed: false));
        Assert.Null(quarantine.RecordAssignment("w1", 3, failed: true));
        Assert.Null(quarantine.RecordAssignment("w2", 3, failed: true));
        Assert.Equal(5L, quarantine.RecordAssignment("w2", 4, failed: true));
        Assert.True(quarantine.IsQuarantined("w2", 5));
        Assert.False(quarantine.IsQuarantined("w1", 5));
    }

    [Fact]
    public void Zero_turns_quarantine_off()
    {
        var quarantine = new WorkerQuarantine(failuresToQuarantine: 0, rounds: 3);
        for (int round = 1; round <= 10; round++)
        {
            Assert.Null(quarantine.RecordAssignment("w1", round, failed: true));
        }

        Assert.False(quarantine.IsQuarantined("w1", 11));
    }
}
