namespace FedTrain.Coordinator.Storage;

/// <summary>The few column types in which SQLite and PostgreSQL spell the one schema differently.</summary>
internal sealed record SqlDialect(string Name, string Integer, string BigInteger, string Real, string Identity, string Blob)
{
    public static SqlDialect Sqlite { get; } = new("sqlite", "INTEGER", "INTEGER", "REAL", "INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB");

    public static SqlDialect Postgres { get; } = new("postgres", "integer", "bigint", "double precision", "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "bytea");
}
