using System.Data.Common;
using Npgsql;

namespace FedTrain.Coordinator.Storage;

/// <summary>
/// The production store: a PostgreSQL database (one per federation) through a pooled Npgsql data source. Each
/// operation takes a pooled connection, so concurrent gRPC handlers do not queue behind one another.
/// </summary>
public sealed class PostgresCoordinatorStore : RelationalCoordinatorStore
{
    // Any constant works; it only has to be the same for every coordinator migrating this database.
    private const long MigrationLockKey = 0x46656454_7261696EL;

    private readonly NpgsqlDataSource _dataSource;

    /// <param name="connectionString">Npgsql keyword form (<c>Host=...;Database=...</c>).</param>
    public PostgresCoordinatorStore(string connectionString)
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
        using var connection = _dataSource.OpenConnection();
        SchemaVersion = SchemaMigrator.Migrate(
            connection, CoordinatorSchema.Migrations(SqlDialect.Postgres), LockSchema, DateTimeOffset.UtcNow);
    }

    protected override async Task<T> UseAsync<T>(Func<DbConnection, Task<T>> action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await action(connection).ConfigureAwait(false);
        }
    }

    protected override bool IsUniqueViolation(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _dataSource.Dispose();
        }
    }

    /// <summary>Two coordinators opening the same database at once must not both run a migration.</summary>
    private static void LockSchema(DbConnection connection, DbTransaction transaction)
    {
        using var command = Command(connection, transaction, "SELECT pg_advisory_xact_lock(@key);");
        DbParameters.Add(command, "@key", MigrationLockKey);
        command.ExecuteNonQuery();
    }
}
