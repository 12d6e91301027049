using FedTrain.Coordinator.Registry;

namespace FedTrain.Coordinator.Storage;

/// <summary>The quarantine state (schema migration 5, table <c>worker_quarantine</c>), the same SQL on both databases.</summary>
public abstract partial class RelationalCoordinatorStore
{
    public void SaveQuarantine(string runId, IReadOnlyList<QuarantineEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Fenced((connection, transaction) =>
        {
            using (var clear = Command(connection, transaction, "DELETE FROM worker_quarantine WHERE run_id = @run;"))
            {
                DbParameters.Add(clear, "@run", runId);
                clear.ExecuteNonQuery();
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
                insert.ExecuteNonQuery();
            }

            return 0;
        });
    }

    public IReadOnlyList<QuarantineEntry> LoadQuarantine(string runId) => Use(connection =>
    {
        using var command = Command(connection, null, """
            SELECT worker_id, consecutive_failures, quarantined_from, quarantined_through, reason
            FROM worker_quarantine WHERE run_id = @run ORDER BY worker_id;
            """);
        DbParameters.Add(command, "@run", runId);
        using var reader = command.ExecuteReader();
        var entries = new List<QuarantineEntry>();
        while (reader.Read())
        {
            entries.Add(new QuarantineEntry(
                reader.GetString(0), StoredValues.Int(reader, 1), reader.IsDBNull(2) ? null : StoredValues.Long(reader, 2),
                reader.IsDBNull(3) ? null : StoredValues.Long(reader, 3), StoredValues.NullableString(reader, 4)));
        }

        return (IReadOnlyList<QuarantineEntry>)entries;
    });
}
