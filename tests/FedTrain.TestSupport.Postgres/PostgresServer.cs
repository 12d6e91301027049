using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace FedTrain.TestSupport;

/// <summary>
/// A throwaway PostgreSQL server from Debian's binaries (<c>initdb</c> + <c>pg_ctl</c>) in a temporary folder, on a
/// free loopback port. Tests share one per process (<see cref="Shared"/>, stopped when the process exits); a
/// benchmark starts its own with <see cref="Start"/> and disposes it. initdb refuses to run as root, so as root the
/// server runs as the <c>postgres</c> user that Debian's package creates.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private static readonly Lazy<(PostgresServer? Server, string? Reason)> Instance = new(StartShared);

    private readonly string _binaries;
    private readonly string _root;
    private readonly string _dataDirectory;
    private readonly string? _runAs;
    private int _databases;

    private PostgresServer(string binaries, string root, string? runAs, int port)
    {
        _binaries = binaries;
        _root = root;
        _dataDirectory = Path.Combine(root, "data");
        _runAs = runAs;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The process-wide server, or null when it cannot start (see <see cref="UnavailableReason"/>).</summary>
    public static PostgresServer? Shared => Instance.Value.Server;

    /// <summary>Why no server could be started; null when <see cref="Shared"/> is running.</summary>
    public static string? UnavailableReason => Instance.Value.Reason;

    /// <summary>The shared server, or an exception that says why there is none.</summary>
    public static PostgresServer Require() => Shared ?? throw new InvalidOperationException(UnavailableReason);

    /// <summary>Creates an empty database and returns its Npgsql connection string.</summary>
    public string CreateDatabase(string prefix)
    {
        string name = $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 30, 60)];
        using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE \"{name}\";";
            command.ExecuteNonQuery();
        }

        return ConnectionString(name);
    }

    /// <summary>The same database as a <c>postgres://</c> URL, the form operators pass to <c>--database</c>.</summary>
    public string Url(string connectionString) =>
        $"postgres://postgres@127.0.0.1:{Port}/{new NpgsqlConnectionStringBuilder(connectionString).Database}";

    public void Dispose()
    {
        try
        {
            Run(_runAs, Path.Combine(_binaries, "pg_ctl"), "-D", _dataDirectory, "-m", "immediate", "-w", "stop");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            Directory.Delete(_root, recursive: true);
        }
    }

    private string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, Pooling = true }.ConnectionString;

    private static (PostgresServer?, string?) StartShared()
    {
        try
        {
            var server = Start();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
            return (server, null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception or UnauthorizedAccessException)
        {
            string reason = "PostgreSQL tests skipped: no server could be started (" + ex.Message + "). Install Debian's postgresql package (scripts/ensure-deps.sh --tests).";
            Console.Error.WriteLine("!!! " + reason);
            return (null, reason);
        }
    }

    /// <summary>
    /// Starts a new server that the caller owns: <see cref="Dispose"/> stops it and deletes its folder. Throws
    /// <see cref="InvalidOperationException"/> when Debian's PostgreSQL binaries are missing or do not start.
    /// </summary>
    public static PostgresServer Start()
    {
        string binaries = FindBinaries()
            ?? throw new InvalidOperationException("initdb was not found under /usr/lib/postgresql/*/bin");
        bool root = Environment.UserName == "root";
        string? runAs = root ? "postgres" : null;
        string folder = Path.Combine(Path.GetTempPath(), $"fedtrain-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        if (root)
        {
            // The server runs as postgres and must own its folder.
            Run(null, "chown", "postgres:postgres", folder);
        }

        int port = FreePort();
        var server = new PostgresServer(binaries, folder, runAs, port);
        try
        {
            Run(runAs, Path.Combine(binaries, "initdb"), "-D", server._dataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync");
            Run(runAs, Path.Combine(binaries, "pg_ctl"), "-D", server._dataDirectory, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "60",
                "-o", $"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start");
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }

        return server;
    }

    private static string? FindBinaries() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderDescending(StringComparer.Ordinal).FirstOrDefault()
            : null;

    private static void Run(string? runAs, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(runAs is null ? program : "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (runAs is not null)
        {
            foreach (string argument in new[] { "-u", runAs, "--", program })
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(program)} did not finish within 2 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} exited with {process.ExitCode}: {error.Trim()} {output.Result.Trim()}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
