using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Storage;

namespace FedTrain.Coordinator.Tests;

/// <summary>
/// The quarantine survives a coordinator restart: its state is saved to a real (SQLite) store, and a fresh
/// <see cref="WorkerQuarantine"/> restored from a reopened store keeps the same workers out and goes on counting.
/// </summary>
public sealed class QuarantineRestoreTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"quarantine-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task A_restored_quarantine_keeps_the_same_workers_out_and_goes_on_counting_failures()
    {
        var before = new WorkerQuarantine(failuresToQuarantine: 3, rounds: 2);
        for (long round = 1; round <= 3; round++)
        {
            before.RecordAssignment("w1", round, failed: true, $"round {round}: c1: worker w1 went silent (no heartbeat)");
        }

        before.RecordAssignment("w2", 2, failed: true, "round 2: c2: no update before the deadline");
        before.RecordAssignment("w2", 3, failed: true, "round 3: c2: no update before the deadline");
        before.RecordAssignment("w3", 3, failed: false);
        using (var store = new SqliteCoordinatorStore(_path))
        {
            await store.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
            await store.SaveQuarantineAsync("run-1", before.Entries());
        }

        // What kill -9 leaves: only the store. A new coordinator starts with an empty quarantine and restores it.
        var after = new WorkerQuarantine(failuresToQuarantine: 3, rounds: 2);
        using (var store = new SqliteCoordinatorStore(_path))
        {
            after.Restore(await store.LoadQuarantineAsync("run-1"));
        }

        Assert.Equal(before.Entries(), after.Entries());
        Assert.Equal(
            [new QuarantineEntry("w1", 0, 4, 5, "round 3: c1: worker w1 went silent (no heartbeat)"), new QuarantineEntry("w2", 2, null, null, "round 3: c2: no update before the deadline")],
            after.Entries());
        Assert.True(after.IsQuarantined("w1", 4));
        Assert.True(after.IsQuarantined("w1", 5));
        Assert.False(after.IsQuarantined("w1", 6));
        Assert.Equal(new Dictionary<string, long> { ["w1"] = 5 }, after.Snapshot(4));
        Assert.Equal("round 3: c1: worker w1 went silent (no heartbeat)", after.Reasons(4)["w1"]);
        Assert.Equal(new Dictionary<string, int> { ["w2"] = 2 }, after.ConsecutiveFailures());
        // w2's count went on from 2: its third failure in a row, the first after the restart, quarantines it.
        Assert.Equal(6L, after.RecordAssignment("w2", 4, failed: true, "round 4: c2: no update before the deadline"));
        Assert.True(after.IsQuarantined("w2", 5));
    }

    [Fact]
    public void Restoring_replaces_the_whole_state()
    {
        var quarantine = new WorkerQuarantine(failuresToQuarantine: 1, rounds: 1);
        Assert.Equal(2L, quarantine.RecordAssignment("w1", 1, failed: true));
        quarantine.Restore([new QuarantineEntry("w2", 0, 2, 2, null)]);
        Assert.False(quarantine.IsQuarantined("w1", 2));
        Assert.True(quarantine.IsQuarantined("w2", 2));
        Assert.Empty(quarantine.Reasons(2));
    }

    [Theory]
    [InlineData(-1, null, null)]
    [InlineData(0, 3L, null)]
    [InlineData(0, null, 3L)]
    [InlineData(0, 4L, 3L)]
    public void Inconsistent_stored_state_is_refused_by_worker(int failures, long? from, long? through)
    {
        var quarantine = new WorkerQuarantine(failuresToQuarantine: 3, rounds: 2);
        var error = Assert.Throws<ArgumentException>(() => quarantine.Restore([new QuarantineEntry("w7", failures, from, through, null)]));
        Assert.Contains("worker w7", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (string file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }
}
