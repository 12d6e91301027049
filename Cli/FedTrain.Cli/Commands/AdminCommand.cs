using System.CommandLine;
using System.Globalization;
using FedTrain.Coordinator.Security;
using FedTrain.Coordinator.Storage;

namespace FedTrain.Cli.Commands;

/// <summary>
/// <c>fedtrain admin enroll|revoke|list</c>: manages enrolments in the coordinator's database (SQLite in its run
/// directory, or the PostgreSQL database given with <c>--database</c>). A running coordinator sees the changes on the next call.
/// </summary>
internal static class AdminCommand
{
    public static Command Create()
    {
        var command = new Command("admin", "Manage worker enrolments in a coordinator's run directory.");
        command.Subcommands.Add(Enroll());
        command.Subcommands.Add(Revoke());
        command.Subcommands.Add(List());
        return command;
    }

    private static Option<string> RunDir() => new("--run-dir") { Description = "The coordinator's run directory (holds coordinator.db).", Required = true };

    private static Option<string?> Database() => new("--database") { Description = "The coordinator's database when it is not coordinator.db in the run directory: postgres://USER@HOST:PORT/DB, Host=...;Database=... or a SQLite file (no password here: see --database-password-file)." };

    private static Option<string?> DatabasePasswordFile() => new("--database-password-file") { Description = "File whose first line is the PostgreSQL password (else PGPASSWORD, then PGPASSFILE)." };

    private static Command Enroll()
    {
        var runDir = RunDir();
        var database = Database();
        var passwordFile = DatabasePasswordFile();
        var workerId = new Option<string>("--worker-id") { Description = "The worker id the token admits.", Required = true };
        var output = new Option<string?>("--out") { Description = "Write the token to this file (mode 0600) instead of standard output." };
        var validHours = new Option<double?>("--valid-hours") { Description = "Hours until the token expires (default 24)." };
        var client = new Option<string[]>("--client") { Description = "A client id the worker may register (repeatable). Default: the worker's own id only." };
        var clients = new Option<int?>("--clients") { Description = "How many clients the worker may register: with --client-prefix P, ids beginning with P; with --shard I/K, the simulation ids worker I of K registers with --population N." };
        var prefix = new Option<string?>("--client-prefix") { Description = "With --clients N: the prefix every client id of the worker begins with." };
        var shard = new Option<string?>("--shard") { Description = "With --clients N: grant the ids `fedtrain worker --population N --shard I/K` registers (client-00000 style)." };
        var command = new Command("enroll", "Issue a one-time enrollment token for a worker id; its credential is bound to the run and the granted clients when redeemed.");
        foreach (var option in new Option[] { runDir, database, passwordFile, workerId, output, validHours, client, clients, prefix, shard })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            string worker = parse.GetValue(workerId)!;
            var grant = Grant(worker, parse.GetValue(client) ?? [], parse.GetValue(clients), parse.GetValue(prefix), parse.GetValue(shard));
            using var store = Open(parse.GetValue(runDir)!, DatabaseFlag.Refusing(parse.GetValue(database)), parse.GetValue(passwordFile), create: true);
            var validity = parse.GetValue(validHours) is { } hours ? TimeSpan.FromHours(hours) : EnrollmentIssuer.DefaultValidity;
            var issued = await EnrollmentIssuer.IssueAsync((ICredentialStore)store, worker, validity, TimeProvider.System, grant, cancellationToken).ConfigureAwait(false);
            string what = $"{worker} (clients: {(grant ?? ClientGrant.Own(worker)).Describe()})";
            if (parse.GetValue(output) is { } file)
            {
                SecretFile.Write(file, issued.Token);
                Console.Error.WriteLine($"Enrollment token for {what} written to {file}; it works once, within {validity.TotalHours:0.#} h.");
            }
            else
            {
                Console.WriteLine(issued.Token);
            }

            return 0;
        });
        return command;
    }

    /// <summary>The clients the enrolment grants, from the flags; null for the default (the worker's own id).</summary>
    private static ClientGrant? Grant(string workerId, string[] ids, int? count, string? prefix, string? shard)
    {
        if (ids.Length > 0)
        {
            if (count is not null || prefix is not null || shard is not null)
            {
                throw new ArgumentException("--client names the clients one by one; it cannot be combined with --clients, --client-prefix or --shard.");
            }

            return ClientGrant.Explicit(ids);
        }

        if (count is not { } n)
        {
            return prefix is null && shard is null ? null
                : throw new ArgumentException("--client-prefix and --shard need --clients N.");
        }

        if (n < 1)
        {
            throw new ArgumentException($"--clients must be at least 1, got {n}.");
        }

        return (prefix, shard) switch
        {
            (not null, null) => ClientGrant.WithPrefix(prefix, n),
            (null, not null) => ClientGrant.Explicit(SimulatedClients(workerId, n, shard)),
            _ => throw new ArgumentException(
                "--clients N needs --client-prefix P (up to N client ids beginning with P) or --shard I/K (the ids worker I of K simulates in a population of N), not both."),
        };
    }

    private static IReadOnlyList<string> SimulatedClients(string workerId, int population, string shard)
    {
        var parts = shard.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int shards) || shards < 1 || index >= shards)
        {
            throw new ArgumentException($"--shard must be I/K with 0 <= I < K, got '{shard}'.");
        }

        if (population < shards)
        {
            throw new ArgumentException($"--clients ({population}) must be at least the number of workers in --shard ({shards}), so that worker {workerId} has a client.");
        }

        return Worker.LocalData.ClientIds(population, index, shards);
    }

    private static Command Revoke()
    {
        var runDir = RunDir();
        var database = Database();
        var passwordFile = DatabasePasswordFile();
        var workerId = new Option<string>("--worker-id") { Description = "The worker whose credentials and unused tokens are revoked.", Required = true };
        var command = new Command("revoke", "Revoke a worker's credentials and unused enrollment tokens; its next call is refused.");
        command.Options.Add(runDir);
        command.Options.Add(database);
        command.Options.Add(passwordFile);
        command.Options.Add(workerId);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var store = Open(parse.GetValue(runDir)!, DatabaseFlag.Refusing(parse.GetValue(database)), parse.GetValue(passwordFile), create: false);
            int revoked = await ((ICredentialStore)store).RevokeWorkerAsync(parse.GetValue(workerId)!, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"Revoked {revoked} credential(s) and token(s) of {parse.GetValue(workerId)}.");
            return revoked > 0 ? 0 : 1;
        });
        return command;
    }

    private static Command List()
    {
        var runDir = RunDir();
        var database = Database();
        var passwordFile = DatabasePasswordFile();
        var command = new Command("list", "List enrollment tokens and credentials (ids and states only; secrets are never stored).");
        command.Options.Add(runDir);
        command.Options.Add(database);
        command.Options.Add(passwordFile);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var store = Open(parse.GetValue(runDir)!, DatabaseFlag.Refusing(parse.GetValue(database)), parse.GetValue(passwordFile), create: false);
            Console.WriteLine("kind        id                worker                run                      created              state    clients");
            foreach (var e in await ((ICredentialStore)store).ListEnrollmentsAsync(cancellationToken).ConfigureAwait(false))
            {
                string state = e.RevokedAt is not null ? "revoked" : e.UsedAt is not null ? "used" : e.ExpiresAt <= DateTimeOffset.UtcNow ? "expired" : "pending";
                Console.WriteLine(Row("enrollment", e.TokenId, e.WorkerId, "-", e.CreatedAt, state, e.Grant));
            }

            foreach (var c in await ((ICredentialStore)store).ListCredentialsAsync(cancellationToken).ConfigureAwait(false))
            {
                Console.WriteLine(Row("credential", c.CredentialId, c.WorkerId, c.RunId, c.CreatedAt, c.RevokedAt is null ? "active" : "revoked", c.Grant));
            }

            return 0;
        });
        return command;
    }

    private static string Row(string kind, string id, string worker, string run, DateTimeOffset created, string state, ClientGrant clients) =>
        string.Create(CultureInfo.InvariantCulture, $"{kind,-11} {id,-17} {worker,-21} {run,-24} {created:yyyy-MM-dd HH:mm:ss}  {state,-8} {clients.Describe()}");

    /// <summary>The coordinator's store; <paramref name="create"/> false refuses a SQLite file that is not there yet.</summary>
    private static ICoordinatorStore Open(string runDirectory, string? database, string? passwordFile, bool create)
    {
        bool sqlite = database is null || !PostgresConnectionString.IsPostgres(database);
        if (sqlite && !create)
        {
            string file = database is null ? CoordinatorStoreFactory.DefaultFileName : database;
            if (!File.Exists(Path.IsPathRooted(file) ? file : Path.Combine(runDirectory, file)))
            {
                throw new ArgumentException($"No coordinator database in {runDirectory}.");
            }
        }

        Directory.CreateDirectory(runDirectory);
        var store = CoordinatorStoreFactory.Open(database, runDirectory, passwordFile);
        if (store is not ICredentialStore)
        {
            store.Dispose();
            throw new ArgumentException($"The coordinator store {store.GetType().Name} keeps no credentials.");
        }

        return store;
    }
}
