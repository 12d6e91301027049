using FedTrain.Coordinator.Spool;
using FedTrain.Coordinator.Storage;

namespace FedTrain.Coordinator.Tests;

/// <summary>
/// Group commit of kept updates on a real SQLite store: records that arrive together share a transaction, each
/// caller learns when its own row is durable, and one bad row costs the others nothing.
/// </summary>
public sealed class KeptUpdateCommitterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fedtrain-commit-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Concurrent_records_share_transactions_and_all_become_durable()
    {
        using var store = new SqliteCoordinatorStore(Path.Combine(_directory, "coordinator.db"));
        await store.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
        // The first commit is held until all 200 records are queued, as when uploads arrive during an fsync; on an idle
        // machine unheld commits can each finish before the next record arrives, and batching would not be exercised.
        var release = new TaskCompletionSource();
        var journal = new CountingJournal(new BlockingJournal(store, release.Task));
        var committer = new KeptUpdateCommitter(_directory, journal);

        var records = Enumerable.Range(0, 200).Select(i => committer.RecordAsync("run-1", Update(i))).ToArray();
        release.SetResult();
        await Task.WhenAll(records);

        var kept = await store.LoadKeptUpdatesAsync("run-1", round: 4);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"c{i:D3}").Order(StringComparer.Ordinal), kept.Select(k => k.ClientId).Order(StringComparer.Ordinal));
        Assert.Equal(200, journal.Rows);
        Assert.True(journal.Transactions < 200, $"{journal.Transactions} transactions for 200 records");
    }

    [Fact]
    public async Task A_duplicate_fails_alone_and_the_rest_of_its_batch_is_recorded()
    {
        using var store = new SqliteCoordinatorStore(Path.Combine(_directory, "coordinator.db"));
        await store.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
        var committer = new KeptUpdateCommitter(_directory, store);
        await committer.RecordAsync("run-1", Update(1));

        // All three are queued while the first commit is held up, so the duplicate shares a transaction with a good row
        // however the queue is split into batches.
        var blocker = new TaskCompletionSource();
        var slow = new KeptUpdateCommitter(_directory, new BlockingJournal(store, blocker.Task));
        var first = slow.RecordAsync("run-1", Update(2));
        var duplicate = slow.RecordAsync("run-1", Update(1));
        var good = slow.RecordAsync("run-1", Update(3));
        blocker.SetResult();

        await first;
        await good;
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => duplicate);
        Assert.Equal(["c001", "c002", "c003"], (await store.LoadKeptUpdatesAsync("run-1", 4)).Select(k => k.ClientId).Order(StringComparer.Ordinal));
    }

    private static KeptUpdate Update(int client) => new(4, 3, $"c{client:D3}", "w1", 100, $"round-000004-c{client:D3}.update");

    private sealed class CountingJournal(IUpdateJournal inner) : IUpdateJournal
    {
        private int _rows;
        private int _transactions;

        public int Rows => _rows;

        public int Transactions => _transactions;

        public async Task RecordKeptUpdatesAsync(IReadOnlyList<(string RunId, KeptUpdate Update)> updates, CancellationToken cancellationToken = default)
        {
            await inner.RecordKeptUpdatesAsync(updates, cancellationToken);
            Interlocked.Add(ref _rows, updates.Count);
            Interlocked.Increment(ref _transactions);
        }

        public Task<IReadOnlyList<KeptUpdate>> LoadKeptUpdatesAsync(string runId, long round, CancellationToken cancellationToken = default) =>
            inner.LoadKeptUpdatesAsync(runId, round, cancellationToken);

        public Task DeleteKeptUpdatesAsync(string runId, long round, CancellationToken cancellationToken = default) => inner.DeleteKeptUpdatesAsync(runId, round, cancellationToken);
    }

    private sealed class BlockingJournal(IUpdateJournal inner, Task released) : IUpdateJournal
    {
        public async Task RecordKeptUpdatesAsync(IReadOnlyList<(string RunId, KeptUpdate Update)> updates, CancellationToken cancellationToken = default)
        {
            await released;
            await inner.RecordKeptUpdatesAsync(updates, cancellationToken);
        }

        public Task<IReadOnlyList<KeptUpdate>> LoadKeptUpdatesAsync(string runId, long round, CancellationToken cancellationToken = default) =>
            inner.LoadKeptUpdatesAsync(runId, round, cancellationToken);

        public Task DeleteKeptUpdatesAsync(string runId, long round, CancellationToken cancellationToken = default) => inner.DeleteKeptUpdatesAsync(runId, round, cancellationToken);
    }
}
