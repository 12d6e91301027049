using Npgsql;

namespace FedTrain.Coordinator.Storage;

/// <summary>Turns the <c>database</c> option's PostgreSQL forms into an Npgsql connection string.</summary>
public static class PostgresConnectionString
{
    /// <summary>Whether <paramref name="database"/> names a PostgreSQL database rather than a SQLite file.</summary>
    public static bool IsPostgres(string database)
    {
        ArgumentNullException.ThrowIfNull(database);
        return database.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || database.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || database.StartsWith("Host=", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether a PostgreSQL <paramref name="database"/> carries a password (which a command line would show to every local user).</summary>
    public static bool HasPassword(string database) =>
        IsPostgres(database) && !string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(Parse(database)).Password);

    /// <summary>
    /// The connection string of <paramref name="database"/> with the password read from <paramref name="passwordFile"/>
    /// (its first line). Without a password file, Npgsql falls back to <c>PGPASSWORD</c>, then the <c>PGPASSFILE</c> file.
    /// </summary>
    /// <exception cref="ArgumentException">The database is not PostgreSQL, or the file is missing or empty.</exception>
    public static string WithPasswordFile(string database, string passwordFile)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(passwordFile);
        if (!IsPostgres(database))
        {
            throw new ArgumentException("A database password file is for a PostgreSQL database (postgres://... or Host=...).", nameof(passwordFile));
        }

        if (!File.Exists(passwordFile))
        {
            throw new ArgumentException($"The database password file '{passwordFile}' does not exist.", nameof(passwordFile));
        }

        string password = File.ReadLines(passwordFile).FirstOrDefault()?.TrimEnd('\r') ?? string.Empty;
        if (password.Length == 0)
        {
            throw new ArgumentException($"The database password file '{passwordFile}' is empty.", nameof(passwordFile));
        }

        return new NpgsqlConnectionStringBuilder(Parse(database)) { Password = password }.ConnectionString;
    }

    /// <summary>
    /// Accepts <c>postgres://user:password@host:port/database?key=value</c> (query keys are Npgsql keywords, e.g.
    /// <c>sslmode=require</c>) or the keyword form <c>Host=...;Database=...</c>, which passes through.
    /// </summary>
    /// <exception cref="ArgumentException">The text is neither form, or names no database.</exception>
    public static string Parse(string database)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (database.StartsWith("Host=", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return new NpgsqlConnectionStringBuilder(database).ConnectionString;
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"The database connection string is not valid: {ex.Message}", nameof(database), ex);
            }
        }

        if (!Uri.TryCreate(database, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql") || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException("The database must be a SQLite file path, postgres://USER:PASSWORD@HOST:PORT/DATABASE or Host=...;Database=....", nameof(database));
        }

        string name = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (name.Length == 0)
        {
            throw new ArgumentException("The postgres:// URL names no database (…/DATABASE).", nameof(database));
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host, Database = name };
        if (uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        if (uri.UserInfo.Length > 0)
        {
            string[] user = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(user[0]);
            if (user.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(user[1]);
            }
        }

        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = pair.Split('=', 2);
            try
            {
                builder[Uri.UnescapeDataString(parts[0])] = parts.Length == 2 ? Uri.UnescapeDataString(parts[1]) : string.Empty;
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"The postgres:// URL has an unknown option '{parts[0]}'.", nameof(database), ex);
            }
        }

        return builder.ConnectionString;
    }
}
