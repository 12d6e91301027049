using FedTrain.Coordinator.Storage;

namespace FedTrain.Coordinator.Spool;

/// <summary>
/// Group commit of kept updates: every update recorded while a commit is under way joins the next one, which makes
/// all of them durable with one fsync of the spool directory (their renames) and one journal transaction. Each
/// caller's task completes once its own row is committed, so an upload is still acknowledged only after it would
/// survive a crash, but a round of many concurrent uploads pays two syncs per batch instead of per update.
/// </summary>
/// <remarks>
/// The spool files themselves must already be on disk (<see cref="RoundUpdateSpool.Flush"/>, which uploads do
/// concurrently, outside any lock). No thread waits when nothing is queued: the caller that finds no commit under
/// way starts one on the thread pool, and it runs until the queue is empty.
/// </remarks>
internal sealed class KeptUpdateCommitter(string directory, IUpdateJournal journal)
{
    private readonly Lock _lock = new();
    private List<Entry> _queue = [];
    private bool _committing;

    /// <summary>Queues <paramref name="update"/>; the task completes when its journal row is durable, or fails with the reason it is not.</summary>
    public Task RecordAsync(string runId, KeptUpdate update)
    {
        var entry = new Entry(runId, update, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_lock)
        {
            _queue.Add(entry);
            if (_committing)
            {
                return entry.Recorded.Task;
            }

            _committing = true;
        }

        _ = Task.Run(CommitUntilEmptyAsync);
        return entry.Recorded.Task;
    }

    private async Task CommitUntilEmptyAsync()
    {
        while (true)
        {
            List<Entry> batch;
            lock (_lock)
            {
                if (_queue.Count == 0)
                {
                    _committing = false;
                    return;
                }

                batch = _queue;
                _queue = [];
            }

            await CommitAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task CommitAsync(List<Entry> batch)
    {
        try
        {
            DirectorySync.Flush(directory);
            await journal.RecordKeptUpdatesAsync(batch.Select(e => (e.RunId, e.Update)).ToList()).ConfigureAwait(false);
        }
        catch (Storage.RunFencedException fenced)
        {
            // Another coordinator holds the run: none of these updates is kept here, and each upload hears why.
            foreach (var entry in batch)
            {
                entry.Recorded.TrySetException(fenced);
            }

            return;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or System.Data.Common.DbException)
        {
            // One bad row must not cost the others their durability: record them one by one.
            if (batch.Count > 1)
            {
                foreach (var entry in batch)
                {
                    await CommitAsync([entry]).ConfigureAwait(false);
                }
            }
            else
            {
                batch[0].Recorded.TrySetException(ex);
            }

            return;
        }

        foreach (var entry in batch)
        {
            SpoolFaultInjection.UpdateKept();
            entry.Recorded.TrySetResult();
        }
    }

    private sealed record Entry(string RunId, KeptUpdate Update, TaskCompletionSource Recorded);
}
