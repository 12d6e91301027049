using System.Globalization;
using System.Text.Json;
using FedTrain.Coordinator.Evaluation;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Fairness;
using Microsoft.Data.Sqlite;

namespace FedTrain.Coordinator.Storage;

/// <summary>The embedded store: one SQLite file in the run directory, in WAL mode with synchronous commits.</summary>
public sealed partial class SqliteCoordinatorStore : ICoordinatorStore
{
    private const int SchemaVersion = 1;

    // A diverged model's per-class figures can be NaN; keep them rather than fail the commit.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

    public SqliteCoordinatorStore(string databasePath)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL;");
        Execute("PRAGMA synchronous=FULL;");
        Migrate();
    }

    public RunRecord? LoadRun()
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT run_id, config_json, created_at, status FROM runs ORDER BY created_at DESC LIMIT 1;";
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? new RunRecord(reader.GetString(0), reader.GetString(1), DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture), reader.GetString(3))
                : null;
        }
    }

    public void CreateRun(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "INSERT INTO runs (run_id, config_json, created_at, status) VALUES ($id, $config, $created, $status);";
            command.Parameters.AddWithValue("$id", run.RunId);
            command.Parameters.AddWithValue("$config", run.ConfigJson);
            command.Parameters.AddWithValue("$created", run.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$status", run.Status);
            command.ExecuteNonQuery();
        }
    }

    public void FinishRun(string runId, string status)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "UPDATE runs SET status = $status WHERE run_id = $id;";
            command.Parameters.AddWithValue("$id", runId);
            command.Parameters.AddWithValue("$status", status);
            command.ExecuteNonQuery();
        }
    }

    public void CommitRound(string runId, RoundResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            using (var command = _connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = """
                    INSERT INTO rounds (run_id, round, model_version, test_accuracy, test_loss, selected, participants,
                        duration_seconds, update_bytes, per_class_accuracy, failures, fairness, skip_reason, epsilon,
                        clip_norm, checkpoint_path, committed_at)
                    VALUES ($run, $round, $version, $acc, $loss, $selected, $participants, $duration, $bytes, $perClass,
                        $failures, $fairness, $skip, $epsilon, $clip, $checkpoint, $committed);
                    """;
                command.Parameters.AddWithValue("$run", runId);
                command.Parameters.AddWithValue("$round", result.Round);
                command.Parameters.AddWithValue("$version", result.ModelVersion);
                command.Parameters.AddWithValue("$acc", Finite(result.TestAccuracy));
                command.Parameters.AddWithValue("$loss", Finite(result.TestLoss));
                command.Parameters.AddWithValue("$selected", result.Selected);
                command.Parameters.AddWithValue("$participants", result.Participants.Count);
                command.Parameters.AddWithValue("$duration", result.DurationSeconds);
                command.Parameters.AddWithValue("$bytes", result.UpdateBytes);
                command.Parameters.AddWithValue("$perClass", JsonSerializer.Serialize(result.PerClassAccuracy, Json));
                command.Parameters.AddWithValue("$failures", JsonSerializer.Serialize(result.Failures, Json));
                command.Parameters.AddWithValue("$fairness", result.Fairness is null ? DBNull.Value : JsonSerializer.Serialize(result.Fairness, Json));
                command.Parameters.AddWithValue("$skip", (object?)result.SkipReason ?? DBNull.Value);
                command.Parameters.AddWithValue("$epsilon", (object?)result.Epsilon ?? DBNull.Value);
                command.Parameters.AddWithValue("$clip", (object?)result.ClipNorm ?? DBNull.Value);
                command.Parameters.AddWithValue("$checkpoint", result.CheckpointPath);
                command.Parameters.AddWithValue("$committed", result.CommittedAt.ToString("O", CultureInfo.InvariantCulture));
                command.ExecuteNonQuery();
            }

            foreach (var participant in result.Participants)
            {
                using var command = _connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = """
                    INSERT INTO participants (run_id, round, client_id, worker_id, example_count, update_bytes, train_loss,
                        train_accuracy, holdout_accuracy, holdout_loss, step_seconds, train_seconds, record_epsilon)
                    VALUES ($run, $round, $client, $worker, $examples, $bytes, $trainLoss, $trainAcc, $holdoutAcc,
                        $holdoutLoss, $step, $train, $recordEpsilon);
                    """;
                command.Parameters.AddWithValue("$run", runId);
                command.Parameters.AddWithValue("$round", result.Round);
                command.Parameters.AddWithValue("$client", participant.ClientId);
                command.Parameters.AddWithValue("$worker", participant.WorkerId);
                command.Parameters.AddWithValue("$examples", participant.ExampleCount);
                command.Parameters.AddWithValue("$bytes", participant.UpdateBytes);
                command.Parameters.AddWithValue("$trainLoss", participant.TrainLoss is { } trainLoss ? Finite(trainLoss) : DBNull.Value);
                command.Parameters.AddWithValue("$trainAcc", (object?)participant.TrainAccuracy ?? DBNull.Value);
                command.Parameters.AddWithValue("$holdoutAcc", (object?)participant.HoldoutAccuracy ?? DBNull.Value);
                command.Parameters.AddWithValue("$holdoutLoss", (object?)participant.HoldoutLoss ?? DBNull.Value);
                command.Parameters.AddWithValue("$step", (object?)participant.StepSeconds ?? DBNull.Value);
                command.Parameters.AddWithValue("$train", (object?)participant.TrainSeconds ?? DBNull.Value);
                command.Parameters.AddWithValue("$recordEpsilon", (object?)participant.RecordEpsilon ?? DBNull.Value);
                command.ExecuteNonQuery();
            }

            foreach (var evaluation in result.ClientEvaluations)
            {
                using var command = _connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = """
                    INSERT INTO client_evaluations (run_id, round, client_id, worker_id, accuracy, loss, example_count)
                    VALUES ($run, $round, $client, $worker, $accuracy, $loss, $examples);
                    """;
                command.Parameters.AddWithValue("$run", runId);
                command.Parameters.AddWithValue("$round", result.Round);
                command.Parameters.AddWithValue("$client", evaluation.ClientId);
                command.Parameters.AddWithValue("$worker", evaluation.WorkerId);
                command.Parameters.AddWithValue("$accuracy", Finite(evaluation.Accuracy));
                command.Parameters.AddWithValue("$loss", Finite(evaluation.Loss));
                command.Parameters.AddWithValue("$examples", evaluation.ExampleCount);
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    public IReadOnlyList<RoundResult> LoadRounds(string runId)
    {
        lock (_lock)
        {
            var participants = LoadParticipants(runId);
            var evaluations = LoadEvaluations(runId);
            using var command = _connection.CreateCommand();
            command.CommandText = """
                SELECT round, model_version, test_accuracy, test_loss, selected, duration_seconds, update_bytes,
                    per_class_accuracy, failures, checkpoint_path, committed_at, fairness, skip_reason, epsilon, clip_norm
                FROM rounds WHERE run_id = $run ORDER BY round;
                """;
            command.Parameters.AddWithValue("$run", runId);
            using var reader = command.ExecuteReader();
            var rounds = new List<RoundResult>();
            while (reader.Read())
            {
                long round = reader.GetInt64(0);
                rounds.Add(new RoundResult(
                    round,
                    reader.GetInt64(1),
                    NullableDouble(reader, 2) ?? double.NaN,
                    NullableDouble(reader, 3) ?? double.NaN,
                    reader.GetInt32(4),
                    participants.TryGetValue(round, out var list) ? list : [],
                    JsonSerializer.Deserialize<List<string>>(reader.GetString(8), Json) ?? [],
                    reader.GetDouble(5),
                    reader.GetInt64(6),
                    JsonSerializer.Deserialize<List<double>>(reader.GetString(7), Json) ?? [],
                    reader.GetString(9),
                    DateTimeOffset.Parse(reader.GetString(10), CultureInfo.InvariantCulture))
                {
                    ClientEvaluations = evaluations.TryGetValue(round, out var scores) ? scores : [],
                    Fairness = reader.IsDBNull(11) ? null : JsonSerializer.Deserialize<FairnessReport>(reader.GetString(11), Json),
                    SkipReason = reader.IsDBNull(12) ? null : reader.GetString(12),
                    Epsilon = NullableDouble(reader, 13),
                    ClipNorm = NullableDouble(reader, 14),
                });
            }

            return rounds;
        }
    }

    public void UpsertWorker(WorkerInfo worker, DateTimeOffset seenAt)
    {
        ArgumentNullException.ThrowIfNull(worker);
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO workers (worker_id, example_count, clients, device, last_registered_at)
                VALUES ($id, $examples, $clients, $device, $seen)
                ON CONFLICT (worker_id) DO UPDATE SET example_count = excluded.example_count,
                    clients = excluded.clients, device = excluded.device,
                    last_registered_at = excluded.last_registered_at;
                """;
            command.Parameters.AddWithValue("$id", worker.WorkerId);
            command.Parameters.AddWithValue("$examples", worker.ExampleCount);
            command.Parameters.AddWithValue("$clients", JsonSerializer.Serialize(worker.Clients, Json));
            command.Parameters.AddWithValue("$device", worker.Device);
            command.Parameters.AddWithValue("$seen", seenAt.ToString("O", CultureInfo.InvariantCulture));
            command.ExecuteNonQuery();
        }
    }

    public void RecordPrivacyRelease(string runId, long round, int attempt, double samplingRate, double noiseMultiplier, double clipNorm, double nextClipNorm)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO privacy_releases (run_id, round, attempt, sampling_rate, noise_multiplier, clip_norm, next_clip_norm)
                VALUES ($run, $round, $attempt, $q, $z, $clip, $next);
                """;
            command.Parameters.AddWithValue("$run", runId);
            command.Parameters.AddWithValue("$round", round);
            command.Parameters.AddWithValue("$attempt", attempt);
            command.Parameters.AddWithValue("$q", samplingRate);
            command.Parameters.AddWithValue("$z", noiseMultiplier);
            command.Parameters.AddWithValue("$clip", clipNorm);
            command.Parameters.AddWithValue("$next", nextClipNorm);
            command.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<PrivacyRelease> LoadPrivacyReleases(string runId)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                SELECT round, attempt, sampling_rate, noise_multiplier, clip_norm, next_clip_norm
                FROM privacy_releases WHERE run_id = $run ORDER BY id;
                """;
            command.Parameters.AddWithValue("$run", runId);
            using var reader = command.ExecuteReader();
            var releases = new List<PrivacyRelease>();
            while (reader.Read())
            {
                releases.Add(new PrivacyRelease(
                    reader.GetInt64(0), reader.GetInt32(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5)));
            }

            return releases;
        }
    }

    public void Dispose() => _connection.Dispose();

    private Dictionary<long, List<ParticipantResult>> LoadParticipants(string runId)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = """
            SELECT round, client_id, worker_id, example_count, update_bytes, train_loss, train_accuracy,
                holdout_accuracy, holdout_loss, step_seconds, train_seconds, record_epsilon
            FROM participants WHERE run_id = $run ORDER BY round, client_id;
            """;
        command.Parameters.AddWithValue("$run", runId);
        using var reader = command.ExecuteReader();
        var result = new Dictionary<long, List<ParticipantResult>>();
        while (reader.Read())
        {
            long round = reader.GetInt64(0);
            if (!result.TryGetValue(round, out var list))
            {
                result[round] = list = [];
            }

            list.Add(new ParticipantResult(reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4))
            {
                TrainLoss = NullableDouble(reader, 5),
                TrainAccuracy = NullableDouble(reader, 6),
                HoldoutAccuracy = NullableDouble(reader, 7),
                HoldoutLoss = NullableDouble(reader, 8),
                StepSeconds = NullableDouble(reader, 9),
                TrainSeconds = NullableDouble(reader, 10),
                RecordEpsilon = NullableDouble(reader, 11),
            });
        }

        return result;
    }

    private Dictionary<long, List<ClientEvaluationResult>> LoadEvaluations(string runId)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = """
            SELECT round, client_id, worker_id, accuracy, loss, example_count
            FROM client_evaluations WHERE run_id = $run ORDER BY round, client_id;
            """;
        command.Parameters.AddWithValue("$run", runId);
        using var reader = command.ExecuteReader();
        var result = new Dictionary<long, List<ClientEvaluationResult>>();
        while (reader.Read())
        {
            long round = reader.GetInt64(0);
            if (!result.TryGetValue(round, out var list))
            {
                result[round] = list = [];
            }

            list.Add(new ClientEvaluationResult(reader.GetString(1), reader.GetString(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetInt64(5)));
        }

        return result;
    }

    /// <summary>SQLite refuses NaN; a diverged model's loss is stored as NULL and read back as NaN.</summary>
    private static object Finite(double value) => double.IsFinite(value) ? value : DBNull.Value;

    private static double? NullableDouble(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

    private void Migrate()
    {
        long version = (long)(ScalarOrNull("PRAGMA user_version;") ?? 0L);
        if (version > SchemaVersion)
        {
            throw new InvalidOperationException(
                $"The run database has schema version {version}; this coordinator knows up to {SchemaVersion}. Use a newer FedTrain.");
        }

        if (version < 1)
        {
            Execute("""
                CREATE TABLE IF NOT EXISTS runs (
                    run_id TEXT PRIMARY KEY, config_json TEXT NOT NULL, created_at TEXT NOT NULL, status TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS rounds (
                    run_id TEXT NOT NULL REFERENCES runs(run_id), round INTEGER NOT NULL, model_version INTEGER NOT NULL,
                    test_accuracy REAL, test_loss REAL, selected INTEGER NOT NULL,
                    participants INTEGER NOT NULL, duration_seconds REAL NOT NULL, update_bytes INTEGER NOT NULL,
                    per_class_accuracy TEXT NOT NULL, failures TEXT NOT NULL, fairness TEXT, skip_reason TEXT, epsilon REAL,
                    clip_norm REAL, checkpoint_path TEXT NOT NULL, committed_at TEXT NOT NULL, PRIMARY KEY (run_id, round));
                CREATE TABLE IF NOT EXISTS privacy_releases (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, round INTEGER NOT NULL, attempt INTEGER NOT NULL,
                    sampling_rate REAL NOT NULL, noise_multiplier REAL NOT NULL, clip_norm REAL NOT NULL, next_clip_norm REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS client_evaluations (
                    run_id TEXT NOT NULL, round INTEGER NOT NULL, client_id TEXT NOT NULL, worker_id TEXT NOT NULL,
                    accuracy REAL NOT NULL, loss REAL NOT NULL, example_count INTEGER NOT NULL,
                    PRIMARY KEY (run_id, round, client_id), FOREIGN KEY (run_id, round) REFERENCES rounds(run_id, round));
                CREATE TABLE IF NOT EXISTS participants (
                    run_id TEXT NOT NULL, round INTEGER NOT NULL, client_id TEXT NOT NULL, worker_id TEXT NOT NULL,
                    example_count INTEGER NOT NULL, update_bytes INTEGER NOT NULL, train_loss REAL, train_accuracy REAL,
                    holdout_accuracy REAL, holdout_loss REAL, step_seconds REAL, train_seconds REAL, record_epsilon REAL,
                    PRIMARY KEY (run_id, round, client_id), FOREIGN KEY (run_id, round) REFERENCES rounds(run_id, round));
                CREATE TABLE IF NOT EXISTS workers (
                    worker_id TEXT PRIMARY KEY, example_count INTEGER NOT NULL, clients TEXT NOT NULL,
                    device TEXT NOT NULL, last_registered_at TEXT NOT NULL);
                PRAGMA user_version = 1;
                """);
        }
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private object? ScalarOrNull(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
