using System.Data.Common;
using System.Globalization;
using FedTrain.Core.Files;
using Microsoft.Data.Sqlite;

namespace FedTrain.Coordinator.Storage;

/// <summary>
/// The embedded store: one SQLite file in the run directory, in WAL mode with synchronous commits. Writes and most
/// reads share one connection, one caller at a time; credential lookups use a second, read-only connection of their
/// own, so authenticating a call never waits for a commit's fsync (WAL readers do not block on the writer).
/// </summary>
public sealed class SqliteCoordinatorStore : RelationalCoordinatorStore
{
    private const int SqliteConstraintUnique = 2067;
    private const int SqliteConstraintPrimaryKey = 1555;

    private readonly SqliteConnection _connection;
    private readonly SqliteConnection _lookupConnection;
    // One connection is one SQLite handle, used by one caller at a time: a semaphore rather than a lock, since the
    // callers await the statements they run on it.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _lookupGate = new(1, 1);

    public SqliteCoordinatorStore(string databasePath)
    {
        // SQLite creates its -wal and -shm files with the database file's permissions, so a database created here
        // 0600 keeps all three private to the coordinator's account.
        if (!File.Exists(databasePath))
        {
            try
            {
                PrivateFiles.CreateExclusive(databasePath).Dispose();
            }
            catch (IOException) when (File.Exists(databasePath))
            {
                // Created meanwhile by another process opening the same database (an admin command); it is used as is.
            }
        }

        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL;");
        Execute("PRAGMA synchronous=FULL;");
        var migrations = CoordinatorSchema.Migrations(SqlDialect.Sqlite);
        // Databases written before schema_migrations existed carry their version in user_version only.
        long legacy = (long)(Scalar("PRAGMA user_version;") ?? 0L);
        if (legacy > 0 && Scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations';") is null)
        {
            SchemaMigrator.Adopt(_connection, migrations, (int)legacy, DateTimeOffset.UtcNow);
        }

        SchemaVersion = SchemaMigrator.Migrate(_connection, migrations, null, DateTimeOffset.UtcNow);
        // Kept in step so that an older coordinator, which reads only user_version, refuses this database.
        Execute(string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version = {SchemaVersion};"));
        _lookupConnection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        _lookupConnection.Open();
    }

    protected override async Task<T> UseForLookupAsync<T>(Func<DbConnection, Task<T>> action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        await _lookupGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await action(_lookupConnection).ConfigureAwait(false);
        }
        finally
        {
            _lookupGate.Release();
        }
    }

    protected override async Task<T> UseAsync<T>(Func<DbConnection, Task<T>> action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await action(_connection).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteExtendedErrorCode: SqliteConstraintUnique or SqliteConstraintPrimaryKey };

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Holding the gate: a journal record committing on another thread (group commit) finishes its
            // transaction first, instead of having the connection closed under it. A call after this one fails
            // (ObjectDisposedException) instead of using a closed connection.
            _gate.Wait();
            _connection.Dispose();
            _gate.Release();
            _gate.Dispose();
            _lookupGate.Wait();
            _lookupConnection.Dispose();
            _lookupGate.Release();
            _lookupGate.Dispose();
        }
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
