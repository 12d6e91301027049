using FedTrain.TestSupport;

namespace FedTrain.Integration.Tests;

/// <summary>
/// The end-to-end federation and crash-recovery runs again with the coordinator's state in a real PostgreSQL
/// server (a fresh database each), selected by <c>--database postgres://...</c> as an operator would.
/// </summary>
public sealed class PostgresFederationTests : IRequiresPostgres
{
    [BackendFact]
    public Task Demo_with_two_worker_processes_trains_two_rounds_on_postgres() =>
        FederationTests.DemoAsync(Url("demo"));

    [BackendFact]
    public Task Killed_coordinator_resumes_from_postgres_and_workers_reconnect() =>
        RecoveryTests.KillAndResumeAsync(Url("resume"));

    [BackendFact]
    public async Task Coordinator_killed_mid_commit_resumes_its_pending_round_from_postgres()
    {
        var server = PostgresServer.Require();
        string database = server.Url(server.CreateDatabase("crash"));
        using var run = new Faults.FaultRun("pg-crash-commit", privacy: true);
        var first = await run.StartCoordinatorAsync(fault: "commit:2", database: database);
        run.StartWorker(0);
        run.StartWorker(1);
        await Faults.FaultRun.WaitForInjectedCrashAsync(first, TimeSpan.FromMinutes(3));
        var second = await run.StartCoordinatorAsync(database: database);
        Assert.True(await run.WaitForExitAsync(second, TimeSpan.FromMinutes(5)) == 0, second.Output);
        Assert.Contains("Round 2 was aggregated", second.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(run.Directory, "coordinator.db")), "the state must live in PostgreSQL");
        Faults.RunInvariants.Check(run, privacy: true);
    }

    private static string Url(string prefix)
    {
        var server = PostgresServer.Require();
        return server.Url(server.CreateDatabase(prefix));
    }
}
