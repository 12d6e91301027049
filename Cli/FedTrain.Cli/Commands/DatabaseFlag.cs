using FedTrain.Coordinator.Storage;

namespace FedTrain.Cli.Commands;

/// <summary>
/// The <c>--database</c> flag's rule: a PostgreSQL password never on the command line, where every local user can
/// read it (<c>ps</c>, <c>/proc/PID/cmdline</c>) and the shell keeps it in its history.
/// </summary>
internal static class DatabaseFlag
{
    /// <summary>Returns <paramref name="database"/> unless it holds a password, which is refused with where to put it instead.</summary>
    public static string? Refusing(string? database)
    {
        if (database is not null && PostgresConnectionString.HasPassword(database))
        {
            throw new ArgumentException(
                "--database holds a password, which the command line shows to every user of this machine. Give the database without it " +
                "and the password in --database-password-file FILE (or \"database_password_file\" in the configuration file), " +
                "in PGPASSWORD, or in a PGPASSFILE file.");
        }

        return database;
    }
}
