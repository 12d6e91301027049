using System.Data.Common;
using System.Globalization;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Storage;

/// <summary>
/// The store's SQL, written once over ADO.NET for both databases. Subclasses decide how a connection is had
/// (<see cref="UseAsync{T}"/>) and how a unique-key violation is recognised; the statements, the schema and the
/// row mapping are the same, which is what lets one contract test suite cover both.
/// </summary>
public abstract partial class RelationalCoordinatorStore : ICoordinatorStore
{
    public int SchemaVersion { get; protected set; }

    public Task<RunRecord?> LoadRunAsync(CancellationToken cancellationToken = default) => UseAsync(async connection =>
    {
        using var command = Command(connection, null, "SELECT run_id, config_json, created_at, status FROM runs ORDER BY created_at DESC LIMIT 1;");
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new RunRecord(reader.GetString(0), reader.GetString(1), StoredValues.Time(reader.GetString(2)), reader.GetString(3))
            : null;
    }, cancellationToken);

    public Task CreateRunAsync(RunRecord run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        return FencedAsync(async (connection, transaction) =>
        {
            using var command = Command(connection, transaction, "INSERT INTO runs (run_id, config_json, created_at, status) VALUES (@id, @config, @created, @status);");
            DbParameters.Add(command, "@id", run.RunId);
            DbParameters.Add(command, "@config", run.ConfigJson);
            DbParameters.Add(command, "@created", StoredValues.Time(run.CreatedAt));
            DbParameters.Add(command, "@status", run.Status);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    public Task FinishRunAsync(string runId, string status, CancellationToken cancellationToken = default) => FencedAsync(async (connection, transaction) =>
    {
        using var command = Command(connection, transaction, "UPDATE runs SET status = @status WHERE run_id = @id;");
        DbParameters.Add(command, "@id", runId);
        DbParameters.Add(command, "@status", status);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    public Task CommitRoundAsync(string runId, RoundResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        return FencedAsync(async (connection, transaction) =>
        {
            try
            {
                await RoundRows.InsertRoundAsync(connection, transaction, runId, result, cancellationToken).ConfigureAwait(false);
            }
            catch (DbException ex) when (IsUniqueViolation(ex))
            {
                throw new InvalidOperationException($"Round {result.Round} of run {runId} is already committed.", ex);
            }

            foreach (var participant in result.Participants)
            {
                await RoundRows.InsertParticipantAsync(connection, transaction, runId, result.Round, participant, cancellationToken).ConfigureAwait(false);
            }

            foreach (var evaluation in result.ClientEvaluations)
            {
                await RoundRows.InsertEvaluationAsync(connection, transaction, runId, result.Round, evaluation, cancellationToken).ConfigureAwait(false);
            }

            using (var command = Command(connection, transaction, "DELETE FROM pending_rounds WHERE run_id = @run AND round <= @round;"))
            {
                DbParameters.Add(command, "@run", runId);
                DbParameters.Add(command, "@round", result.Round);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<RoundResult>> LoadRoundsAsync(string runId, CancellationToken cancellationToken = default) => UseAsync(async connection =>
    {
        var participants = await RoundRows.LoadParticipantsAsync(connection, runId, cancellationToken).ConfigureAwait(false);
        var evaluations = await RoundRows.LoadEvaluationsAsync(connection, runId, cancellationToken).ConfigureAwait(false);
        return (IReadOnlyList<RoundResult>)await RoundRows.LoadRoundsAsync(connection, runId, participants, evaluations, cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    public Task UpsertWorkerAsync(WorkerInfo worker, DateTimeOffset seenAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(worker);
        return UseAsync(async connection =>
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
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<WorkerInfo>> LoadWorkersAsync(CancellationToken cancellationToken = default) => UseAsync(async connection =>
    {
        using var command = Command(connection, null, "SELECT worker_id, clients, device FROM workers ORDER BY worker_id;");
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var workers = new List<WorkerInfo>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            workers.Add(new WorkerInfo(reader.GetString(0), StoredValues.FromJson<List<ClientInfo>>(reader.GetString(1)), reader.GetString(2)));
        }

        return (IReadOnlyList<WorkerInfo>)workers;
    }, cancellationToken);

    public Task<long> RecordPrivacyReleaseAsync(string runId, PrivacyRelease release, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(release);
        return FencedAsync(
            (connection, transaction) => RoundRows.InsertReleaseAsync(connection, transaction, runId, release, cancellationToken), cancellationToken);
    }

    public Task<IReadOnlyList<PrivacyRelease>> LoadPrivacyReleasesAsync(string runId, CancellationToken cancellationToken = default) => UseAsync(async connection =>
    {
        using var command = Command(connection, null, """
            SELECT round, attempt, sampling_rate, noise_multiplier, clip_norm, next_clip_norm, mechanism
            FROM privacy_releases WHERE run_id = @run ORDER BY id;
            """);
        DbParameters.Add(command, "@run", runId);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var releases = new List<PrivacyRelease>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            releases.Add(new PrivacyRelease(
                StoredValues.Long(reader, 0), StoredValues.Int(reader, 1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5))
            {
                Mechanism = reader.GetString(6),
            });
        }

        return (IReadOnlyList<PrivacyRelease>)releases;
    }, cancellationToken);

    public Task SavePendingRoundAsync(string runId, PendingRound pending, ReleaseCompletion? release, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pending);
        return FencedAsync(async (connection, transaction) =>
        {
            await RoundRows.UpsertPendingAsync(connection, transaction, runId, pending, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
            if (release is not null)
            {
                await RoundRows.CompleteReleaseAsync(connection, transaction, release, cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken);
    }

    public Task<PendingRound?> LoadPendingRoundAsync(string runId, CancellationToken cancellationToken = default) =>
        UseAsync(connection => RoundRows.LoadPendingAsync(connection, runId, cancellationToken), cancellationToken);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Runs <paramref name="action"/> on an open connection, serialised as the provider needs. The token cancels the
    /// wait for the connection; <paramref name="action"/> takes it from its caller for its own statements.
    /// </summary>
    protected abstract Task<T> UseAsync<T>(Func<DbConnection, Task<T>> action, CancellationToken cancellationToken);

    /// <summary>
    /// Runs a read-only <paramref name="action"/> that must not wait behind writes: the credential lookups of every
    /// incoming call, while a round commit may hold the write path across its fsync. By default the same as <see cref="UseAsync{T}"/>.
    /// </summary>
    protected virtual Task<T> UseForLookupAsync<T>(Func<DbConnection, Task<T>> action, CancellationToken cancellationToken) => UseAsync(action, cancellationToken);

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
