using FedTrain.Coordinator.Registry;

namespace FedTrain.Coordinator.Storage;

/// <summary>The quarantine state (schema migration 5, table <c>worker_quarantine</c>), the same SQL on both databases.</summary>
public abstract partial class RelationalCoordinatorStore
{
    public Task SaveQuarantineAsync(string runId, IReadOnlyList<QuarantineEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return FencedAsync(async (connection, transaction) =>
        {
            using (var clear = Command(connection, transaction, "DELETE FROM worker_quarantine WHERE run_id = @run;"))
            {
                DbParameters.Add(clear, "@run", runId);
                await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            string now = StoredValues.Time(DateTimeOffset.UtcNow);
            foreach (var entry in entries)
            {
                using var insert = Command(connection, transaction, """
                    INSERT INTO worker_quarantine (run_id, worker_id, consecutive_failures, quarantined_from, quarantined_through, reason, updated_at)
                    VALUES (@run, @worker, @failures, @from, @through, @reason, @at);
                    """);
                DbParameters.Add(insert, "@run", runId);
                DbParameters.Add(insert, "@worker", entry.WorkerId);
                DbParameters.Add(insert, "@failures", entry.ConsecutiveFailures);
                DbParameters.Add(insert, "@from", entry.QuarantinedFrom);
                DbParameters.Add(insert, "@through", entry.QuarantinedThrough);
                DbParameters.Add(insert, "@reason", entry.Reason);
                DbParameters.Add(insert, "@at", now);
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<QuarantineEntry>> LoadQuarantineAsync(string runId, CancellationToken cancellationToken = default) => UseAsync(async connection =>
    {
        using var command = Command(connection, null, """
            SELECT worker_id, consecutive_failures, quarantined_from, quarantined_through, reason
            FROM worker_quarantine WHERE run_id = @run ORDER BY worker_id;
            """);
        DbParameters.Add(command, "@run", runId);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<QuarantineEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(new QuarantineEntry(
                reader.GetString(0), StoredValues.Int(reader, 1), reader.IsDBNull(2) ? null : StoredValues.Long(reader, 2),
                reader.IsDBNull(3) ? null : StoredValues.Long(reader, 3), StoredValues.NullableString(reader, 4)));
        }

        return (IReadOnlyList<QuarantineEntry>)entries;
    }, cancellationToken);
}
