using System.Data.Common;
using System.Globalization;

namespace FedTrain.Coordinator.Storage;

/// <summary>
/// Brings a database to the latest schema at open: one transaction that creates <c>schema_migrations</c> if
/// needed, reads the version, refuses a database newer than this build, and applies the missing migrations in
/// order, recording each. Shared by both stores through ADO.NET's base classes.
/// </summary>
internal static class SchemaMigrator
{
    /// <param name="connection">An open connection.</param>
    /// <param name="migrations">Every migration, in version order.</param>
    /// <param name="lockSchema">Serialises concurrent migrators within the transaction (PostgreSQL); may be null.</param>
    /// <param name="now">Recorded as each migration's time.</param>
    /// <returns>The version the database is at afterwards.</returns>
    public static int Migrate(DbConnection connection, IReadOnlyList<SchemaMigration> migrations, Action<DbConnection, DbTransaction>? lockSchema, DateTimeOffset now)
    {
        using var transaction = connection.BeginTransaction();
        lockSchema?.Invoke(connection, transaction);
        Execute(connection, transaction, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);
            """);
        int current = CurrentVersion(connection, transaction);
        int latest = migrations[^1].Version;
        if (current > latest)
        {
            throw new InvalidOperationException(
                $"The coordinator database has schema version {current}; this coordinator knows up to {latest}. Use a newer FedTrain.");
        }

        foreach (var migration in migrations.Where(m => m.Version > current))
        {
            Execute(connection, transaction, migration.Sql);
            Record(connection, transaction, migration, now);
        }

        transaction.Commit();
        return latest;
    }

    /// <summary>Records migrations 1..<paramref name="version"/> as applied without running them (adopting an older database).</summary>
    public static void Adopt(DbConnection connection, IReadOnlyList<SchemaMigration> migrations, int version, DateTimeOffset now)
    {
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);
            """);
        if (CurrentVersion(connection, transaction) == 0)
        {
            foreach (var migration in migrations.Where(m => m.Version <= version))
            {
                Record(connection, transaction, migration, now);
            }
        }

        transaction.Commit();
    }

    private static int CurrentVersion(DbConnection connection, DbTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Record(DbConnection connection, DbTransaction transaction, SchemaMigration migration, DateTimeOffset now)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO schema_migrations (version, description, applied_at) VALUES (@version, @description, @at);";
        DbParameters.Add(command, "@version", migration.Version);
        DbParameters.Add(command, "@description", migration.Description);
        DbParameters.Add(command, "@at", now.ToString("O", CultureInfo.InvariantCulture));
        command.ExecuteNonQuery();
    }

    private static void Execute(DbConnection connection, DbTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
