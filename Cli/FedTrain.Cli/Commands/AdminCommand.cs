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
        var command = new Command("enroll", "Issue a one-time enrollment token for a worker id; its credential is bound to the run when redeemed.");
        command.Options.Add(runDir);
        command.Options.Add(database);
        command.Options.Add(passwordFile);
        command.Options.Add(workerId);
        command.Options.Add(output);
        command.Options.Add(validHours);
        command.SetAction(parse =>
        {
            using var store = Open(parse.GetValue(runDir)!, DatabaseFlag.Refusing(parse.GetValue(database)), parse.GetValue(passwordFile), create: true);
            var validity = parse.GetValue(validHours) is { } hours ? TimeSpan.FromHours(hours) : EnrollmentIssuer.DefaultValidity;
            var issued = EnrollmentIssuer.Issue((ICredentialStore)store, parse.GetValue(workerId)!, validity, TimeProvider.System);
            if (parse.GetValue(output) is { } file)
            {
                SecretFile.Write(file, issued.Token);
                Console.Error.WriteLine($"Enrollment token for {parse.GetValue(workerId)} written to {file}; it works once, within {validity.TotalHours:0.#} h.");
            }
            else
            {
                Console.WriteLine(issued.Token);
            }

            return 0;
        });
        return command;
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
        command.SetAction(parse =>
        {
            using var store = Open(parse.GetValue(runDir)!, DatabaseFlag.Refusing(parse.GetValue(database)), parse.GetValue(passwordFile), create: false);
            int revoked = ((ICredentialStore)store).RevokeWorker(parse.GetValue(workerId)!, DateTimeOffset.UtcNow);
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
        command.SetAction(parse =>
        {
            using var store = Open(parse.GetValue(runDir)!, DatabaseFlag.Refusing(parse.GetValue(database)), parse.GetValue(passwordFile), create: false);
            Console.WriteLine("kind        id                worker                run                      created              state");
            foreach (var e in ((ICredentialStore)store).ListEnrollments())
            {
                string state = e.RevokedAt is not null ? "revoked" : e.UsedAt is not null ? "used" : e.ExpiresAt <= DateTimeOffset.UtcNow ? "expired" : "pending";
                Console.WriteLine(Row("enrollment", e.TokenId, e.WorkerId, "-", e.CreatedAt, state));
            }

            foreach (var c in ((ICredentialStore)store).ListCredentials())
            {
                Console.WriteLine(Row("credential", c.CredentialId, c.WorkerId, c.RunId, c.CreatedAt, c.RevokedAt is null ? "active" : "revoked"));
            }

            return 0;
        });
        return command;
    }

    private static string Row(string kind, string id, string worker, string run, DateTimeOffset created, string state) =>
        string.Create(CultureInfo.InvariantCulture, $"{kind,-11} {id,-17} {worker,-21} {run,-24} {created:yyyy-MM-dd HH:mm:ss}  {state}");

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
