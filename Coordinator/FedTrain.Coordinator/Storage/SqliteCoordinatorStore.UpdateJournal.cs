
namespace FedTrain.Coordinator.Storage;

/// <summary>The kept-update journal in the run's SQLite database (table <c>kept_updates</c>).</summary>
public sealed partial class SqliteCoordinatorStore : IUpdateJournal
{
    private bool _journalReady;

    public void RecordKeptUpdate(string runId, KeptUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        lock (_lock)
        {
            EnsureJournal();
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO kept_updates (run_id, round, client_id, worker_id, model_version, example_count, file_name, global_loss)
                VALUES ($run, $round, $client, $worker, $version, $examples, $file, $loss);
                """;
            command.Parameters.AddWithValue("$run", runId);
            command.Parameters.AddWithValue("$round", update.Round);
            command.Parameters.AddWithValue("$client", update.ClientId);
            command.Parameters.AddWithValue("$worker", update.WorkerId);
            command.Parameters.AddWithValue("$version", update.ModelVersion);
            command.Parameters.AddWithValue("$examples", update.ExampleCount);
            command.Parameters.AddWithValue("$file", update.FileName);
            command.Parameters.AddWithValue("$loss", update.GlobalLoss is { } loss ? loss : DBNull.Value);
            command.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<KeptUpdate> LoadKeptUpdates(string runId, long round)
    {
        lock (_lock)
        {
            EnsureJournal();
            using var command = _connection.CreateCommand();
            command.CommandText = """
                SELECT round, model_version, client_id, worker_id, example_count, file_name, global_loss
                FROM kept_updates WHERE run_id = $run AND round = $round ORDER BY id;
                """;
            command.Parameters.AddWithValue("$run", runId);
            command.Parameters.AddWithValue("$round", round);
            using var reader = command.ExecuteReader();
            var kept = new List<KeptUpdate>();
            while (reader.Read())
            {
                kept.Add(new KeptUpdate(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetString(5),
                    reader.IsDBNull(6) ? null : reader.GetDouble(6)));
            }

            return kept;
        }
    }

    public void DeleteKeptUpdates(string runId, long round)
    {
        lock (_lock)
        {
            EnsureJournal();
            using var command = _connection.CreateCommand();
            command.CommandText = "DELETE FROM kept_updates WHERE run_id = $run AND round <= $round;";
            command.Parameters.AddWithValue("$run", runId);
            command.Parameters.AddWithValue("$round", round);
            command.ExecuteNonQuery();
        }
    }

    // Created on first use rather than in the numbered schema: an older database simply gains the table.
    private void EnsureJournal()
    {
        if (_journalReady)
        {
            return;
        }

        using var command = _connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS kept_updates (
                id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, round INTEGER NOT NULL, client_id TEXT NOT NULL,
                worker_id TEXT NOT NULL, model_version INTEGER NOT NULL, example_count INTEGER NOT NULL, file_name TEXT NOT NULL,
                global_loss REAL,
                UNIQUE (run_id, round, client_id));
            """;
        command.ExecuteNonQuery();
        _journalReady = true;
    }
}
