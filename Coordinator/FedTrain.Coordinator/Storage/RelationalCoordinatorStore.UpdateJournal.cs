namespace FedTrain.Coordinator.Storage;

/// <summary>The kept-update journal (schema migration 4, table <c>kept_updates</c>), the same SQL on both databases.</summary>
public abstract partial class RelationalCoordinatorStore : IUpdateJournal
{
    public Task RecordKeptUpdatesAsync(IReadOnlyList<(string RunId, KeptUpdate Update)> updates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(updates);
        // One transaction, so a batch costs one commit (one WAL fsync on SQLite, one flush on PostgreSQL).
        return FencedAsync(async (connection, transaction) =>
        {
            foreach (var (runId, update) in updates)
            {
                using var command = Command(connection, transaction, """
                    INSERT INTO kept_updates (run_id, round, client_id, worker_id, model_version, example_count, file_name, global_loss)
                    VALUES (@run, @round, @client, @worker, @version, @examples, @file, @loss);
                    """);
                DbParameters.Add(command, "@run", runId);
                DbParameters.Add(command, "@round", update.Round);
                DbParameters.Add(command, "@client", update.ClientId);
                DbParameters.Add(command, "@worker", update.WorkerId);
                DbParameters.Add(command, "@version", update.ModelVersion);
                DbParameters.Add(command, "@examples", update.ExampleCount);
                DbParameters.Add(command, "@file", update.FileName);
                DbParameters.Add(command, "@loss", StoredValues.Nullable(update.GlobalLoss));
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return updates.Count;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<KeptUpdate>> LoadKeptUpdatesAsync(string runId, long round, CancellationToken cancellationToken = default) => UseAsync(async connection =>
    {
        using var command = Command(connection, null, """
            SELECT round, model_version, client_id, worker_id, example_count, file_name, global_loss
            FROM kept_updates WHERE run_id = @run AND round = @round ORDER BY id;
            """);
        DbParameters.Add(command, "@run", runId);
        DbParameters.Add(command, "@round", round);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var kept = new List<KeptUpdate>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            kept.Add(new KeptUpdate(
                StoredValues.Long(reader, 0), StoredValues.Long(reader, 1), reader.GetString(2), reader.GetString(3), StoredValues.Long(reader, 4),
                reader.GetString(5), StoredValues.NullableDouble(reader, 6)));
        }

        return (IReadOnlyList<KeptUpdate>)kept;
    }, cancellationToken);

    public Task DeleteKeptUpdatesAsync(string runId, long round, CancellationToken cancellationToken = default) => FencedAsync(async (connection, transaction) =>
    {
        using var command = Command(connection, transaction, "DELETE FROM kept_updates WHERE run_id = @run AND round <= @round;");
        DbParameters.Add(command, "@run", runId);
        DbParameters.Add(command, "@round", round);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }, cancellationToken);
}
