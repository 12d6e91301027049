using System.Data.Common;
using System.Globalization;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Storage;

/// <summary>
/// The store's SQL, written once over ADO.NET for both databases. Subclasses decide how a connection is had
/// (<see cref="Use{T}"/>) and how a unique-key violation is recognised; the statements, the schema and the
/// row mapping are the same, which is what lets one contract test suite cover both.
/// </summary>
public abstract partial class RelationalCoordinatorStore : ICoordinatorStore
{
    public int SchemaVersion { get; protected set; }

    public RunRecord? LoadRun() => Use(connection =>
    {
        using var command = Command(connection, null, "SELECT run_id, config_json, created_at, status FROM runs ORDER BY created_at DESC LIMIT 1;");
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new RunRecord(reader.GetString(0), reader.GetString(1), StoredValues.Time(reader.GetString(2)), reader.GetString(3))
            : null;
    });

    public void CreateRun(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        Fenced((connection, transaction) =>
        {
            using var command = Command(connection, transaction, "INSERT INTO runs (run_id, config_json, created_at, status) VALUES (@id, @config, @created, @status);");
            DbParameters.Add(command, "@id", run.RunId);
            DbParameters.Add(command, "@config", run.ConfigJson);
            DbParameters.Add(command, "@created", StoredValues.Time(run.CreatedAt));
            DbParameters.Add(command, "@status", run.Status);
            return command.ExecuteNonQuery();
        });
    }

    public void FinishRun(string runId, string status) => Fenced((connection, transaction) =>
    {
        using var command = Command(connection, transaction, "UPDATE runs SET status = @status WHERE run_id = @id;");
        DbParameters.Add(command, "@id", runId);
        DbParameters.Add(command, "@status", status);
        return command.ExecuteNonQuery();
    });

    public void CommitRound(string runId, RoundResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Fenced((connection, transaction) =>
        {
            try
            {
                RoundRows.InsertRound(connection, transaction, runId, result);
            }
            catch (DbException ex) when (IsUniqueViolation(ex))
            {
                throw new InvalidOperationException($"Round {result.Round} of run {runId} is already committed.", ex);
            }

            foreach (var participant in result.Participants)
            {
                RoundRows.InsertParticipant(connection, transaction, runId, result.Round, participant);
            }

            foreach (var evaluation in result.ClientEvaluations)
            {
                RoundRows.InsertEvaluation(connection, transaction, runId, result.Round, evaluation);
            }

            using (var command = Command(connection, transaction, "DELETE FROM pending_rounds WHERE run_id = @run AND round <= @round;"))
            {
                DbParameters.Add(command, "@run", runId);
                DbParameters.Add(command, "@round", result.Round);
                command.ExecuteNonQuery();
            }

            return 0;
        });
    }

    public IReadOnlyList<RoundResult> LoadRounds(string runId) => Use(connection =>
    {
        var participants = RoundRows.LoadParticipants(connection, runId);
        var evaluations = RoundRows.LoadEvaluations(connection, runId);
        return RoundRows.LoadRounds(connection, runId, participants, evaluations);
    });

    public void UpsertWorker(WorkerInfo worker, DateTimeOffset seenAt)
    {
        ArgumentNullException.ThrowIfNull(worker);
        Use(connection =>
        {
            using var command = Command(connection, null, """
                INSERT INTO workers (worker_id, example_count, clients, device, last_registered_at)
                VALUES (@id, @examples, @clients, @device, @seen)
                ON CONFLICT (worker_id) DO UPDATE SET example_count = excluded.example_count,
                    clients = excluded.clients, device = excluded.device,
                    last_registered_at = excluded.last_registered_at;
                """);
            DbParameters.Add(command, "@id", worker.WorkerId);
            DbParameters.Add(command, "@examples", worker.ExampleCount);
            DbParameters.Add(command, "@clients", StoredValues.ToJson(worker.Clients));
            DbParameters.Add(command, "@device", worker.Device);
            DbParameters.Add(command, "@seen", StoredValues.Time(seenAt));
            return command.ExecuteNonQuery();
        });
    }

    public IReadOnlyList<WorkerInfo> LoadWorkers() => Use(connection =>
    {
        using var command = Command(connection, null, "SELECT worker_id, clients, device FROM workers ORDER BY worker_id;");
        using var reader = command.ExecuteReader();
        var workers = new List<WorkerInfo>();
        while (reader.Read())
        {
            workers.Add(new WorkerInfo(reader.GetString(0), StoredValues.FromJson<List<ClientInfo>>(reader.GetString(1)), reader.GetString(2)));
        }

        return (IReadOnlyList<WorkerInfo>)workers;
    });

    public long RecordPrivacyRelease(string runId, PrivacyRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        return Fenced((connection, transaction) => RoundRows.InsertRelease(connection, transaction, runId, release));
    }

    public IReadOnlyList<PrivacyRelease> LoadPrivacyReleases(string runId) => Use(connection =>
    {
        using var command = Command(connection, null, """
            SELECT round, attempt, sampling_rate, noise_multiplier, clip_norm, next_clip_norm, mechanism
            FROM privacy_releases WHERE run_id = @run ORDER BY id;
            """);
        DbParameters.Add(command, "@run", runId);
        using var reader = command.ExecuteReader();
        var releases = new List<PrivacyRelease>();
        while (reader.Read())
        {
            releases.Add(new PrivacyRelease(
                StoredValues.Long(reader, 0), StoredValues.Int(reader, 1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5))
            {
                Mechanism = reader.GetString(6),
            });
        }

        return (IReadOnlyList<PrivacyRelease>)releases;
    });

    public void SavePendingRound(string runId, PendingRound pending, ReleaseCompletion? release)
    {
        ArgumentNullException.ThrowIfNull(pending);
        Fenced((connection, transaction) =>
        {
            RoundRows.UpsertPending(connection, transaction, runId, pending, DateTimeOffset.UtcNow);
            if (release is not null)
            {
                RoundRows.CompleteRelease(connection, transaction, release);
            }

            return 0;
        });
    }

    public PendingRound? LoadPendingRound(string runId) => Use(connection => RoundRows.LoadPending(connection, runId));

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs <paramref name="action"/> on an open connection, serialised as the provider needs.</summary>
    protected abstract T Use<T>(Func<DbConnection, T> action);

    /// <summary>
    /// Runs a read-only <paramref name="action"/> that must not wait behind writes: the credential lookups of every
    /// incoming call, while a round commit may hold the write path across its fsync. By default the same as <see cref="Use{T}"/>.
    /// </summary>
    protected virtual T UseForLookup<T>(Func<DbConnection, T> action) => Use(action);

    /// <summary>Whether <paramref name="exception"/> reports a duplicate primary key.</summary>
    protected abstract bool IsUniqueViolation(DbException exception);

    protected abstract void Dispose(bool disposing);

    internal static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    /// <summary>The clock migrations are stamped with.</summary>
    protected static string MigrationTime() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
}
