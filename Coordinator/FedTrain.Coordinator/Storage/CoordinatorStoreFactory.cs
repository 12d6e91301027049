namespace FedTrain.Coordinator.Storage;

/// <summary>Opens the store the <c>database</c> option names: SQLite in the run directory unless told otherwise.</summary>
public static class CoordinatorStoreFactory
{
    /// <summary>The SQLite file used when no database is configured.</summary>
    public const string DefaultFileName = "coordinator.db";

    /// <param name="database">A PostgreSQL URL or connection string, a SQLite file path, or null for the default.</param>
    /// <param name="runDirectory">Where the default SQLite file and relative paths live.</param>
    /// <param name="passwordFile">For PostgreSQL: a file whose first line is the password (else PGPASSWORD or PGPASSFILE, as Npgsql reads them).</param>
    public static ICoordinatorStore Open(string? database, string runDirectory, string? passwordFile = null)
    {
        if (string.IsNullOrWhiteSpace(database))
        {
            return new SqliteCoordinatorStore(Path.Combine(runDirectory, DefaultFileName));
        }

        if (passwordFile is not null)
        {
            return new PostgresCoordinatorStore(PostgresConnectionString.WithPasswordFile(database, passwordFile));
        }

        return PostgresConnectionString.IsPostgres(database)
            ? new PostgresCoordinatorStore(PostgresConnectionString.Parse(database))
            : new SqliteCoordinatorStore(Path.IsPathRooted(database) ? database : Path.Combine(runDirectory, database));
    }
}
