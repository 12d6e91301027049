using System.Collections.Concurrent;
using FedTrain.Coordinator.Storage;
using FedTrain.TestSupport;
using Npgsql;

namespace FedTrain.Integration.Tests.Support;

/// <summary>
/// Which database the coordinators these tests start keep their state in. By default each uses SQLite in its run
/// directory. With <c>FEDTRAIN_TEST_DATABASE=postgres</c> each run directory gets its own fresh database on the
/// shared throwaway PostgreSQL server, so the whole suite runs on the PostgreSQL store. A run directory keeps its
/// database for the life of the test process: a restarted coordinator, the workers' enrolment and the test's
/// own store handle all meet the same state.
/// </summary>
internal static class TestDatabase
{
    public const string Variable = "FEDTRAIN_TEST_DATABASE";

    private static readonly ConcurrentDictionary<string, Lazy<string>> Databases = new(StringComparer.Ordinal);

    /// <summary>Whether the suite runs on PostgreSQL.</summary>
    public static bool IsPostgres { get; } = ReadBackend();

    /// <summary>The <c>--database</c> value for a coordinator on <paramref name="runDirectory"/>; null for SQLite in it.</summary>
    public static string? For(string runDirectory)
    {
        ArgumentNullException.ThrowIfNull(runDirectory);
        if (!IsPostgres)
        {
            return null;
        }

        // Lazy: two threads asking for the same run directory must not create two databases.
        return Databases.GetOrAdd(Path.GetFullPath(runDirectory), _ => new Lazy<string>(() =>
        {
            var server = PostgresServer.Require();
            return server.Url(server.CreateDatabase("it"));
        })).Value;
    }

    /// <summary>
    /// <paramref name="arguments"/> of a <c>fedtrain</c> command line, with <c>--database</c> added when the suite
    /// runs on PostgreSQL and the command is a coordinator, a demo or an admin command that names no database itself.
    /// </summary>
    public static string[] Apply(string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (!IsPostgres || arguments.Length == 0 || arguments.Contains("--database", StringComparer.Ordinal))
        {
            return arguments;
        }

        string? runDirectory = arguments[0] switch
        {
            "coordinator" or "admin" => ValueOf(arguments, "--run-dir"),
            "demo" => ValueOf(arguments, "--out"),
            _ => null,
        };
        return runDirectory is null ? arguments : [.. arguments, "--database", For(runDirectory)!];
    }

    /// <summary>Opens the store a coordinator on <paramref name="runDirectory"/> uses, as <c>fedtrain admin</c> would.</summary>
    public static ICoordinatorStore Open(string runDirectory) => CoordinatorStoreFactory.Open(For(runDirectory), runDirectory);

    /// <summary>Whether a coordinator has created its state for the run directory: the SQLite file, or any table in its PostgreSQL database.</summary>
    public static async Task<bool> HasStateAsync(string runDirectory)
    {
        if (For(runDirectory) is not { } database)
        {
            return File.Exists(Path.Combine(runDirectory, CoordinatorStoreFactory.DefaultFileName));
        }

        await using var connection = new NpgsqlConnection(PostgresConnectionString.Parse(database));
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()", connection);
        return (long)(await count.ExecuteScalarAsync())! > 0;
    }

    /// <summary>Whether any stored value of the run directory's database contains <paramref name="text"/> (SQLite: its file and WAL, byte for byte).</summary>
    public static async Task<bool> ContainsAsync(string runDirectory, string text)
    {
        if (For(runDirectory) is not { } database)
        {
            byte[] needle = System.Text.Encoding.ASCII.GetBytes(text);
            string file = Path.Combine(runDirectory, CoordinatorStoreFactory.DefaultFileName);
            foreach (string path in new[] { file, file + "-wal" }.Where(File.Exists))
            {
                // Shared read: the coordinator still has the files open.
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy);
                if (copy.GetBuffer().AsSpan(0, (int)copy.Length).IndexOf(needle) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        // Every row of every table, as PostgreSQL's text form of the row.
        await using var connection = new NpgsqlConnection(PostgresConnectionString.Parse(database));
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = current_schema()", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        foreach (string table in tables)
        {
#pragma warning disable CA2100 // The table names come from the catalogue, quoted by quote_ident.
            await using var search = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM {table} t WHERE strpos(t::text, @text) > 0)", connection);
#pragma warning restore CA2100
            search.Parameters.AddWithValue("text", text);
            if ((bool)(await search.ExecuteScalarAsync())!)
            {
                return true;
            }
        }

        return false;
    }

    private static string? ValueOf(string[] arguments, string flag)
    {
        int index = Array.IndexOf(arguments, flag);
        return index >= 0 && index + 1 < arguments.Length ? arguments[index + 1] : null;
    }

    private static bool ReadBackend() =>
        Environment.GetEnvironmentVariable(Variable) switch
        {
            null or "" or "sqlite" => false,
            "postgres" => true,
            var other => throw new InvalidOperationException($"{Variable} must be 'sqlite' or 'postgres', got '{other}'."),
        };
}
