using FedTrain.Coordinator.Storage;
using FedTrain.TestSupport;
using Npgsql;

namespace FedTrain.Coordinator.Tests.Storage;

/// <summary>The store contract on a real PostgreSQL server, each test in a database of its own.</summary>
public sealed class PostgresCoordinatorStoreTests : CoordinatorStoreContract, IRequiresPostgres
{
    private readonly Lazy<string> _database = new(() => PostgresServer.Require().CreateDatabase("store"));

    protected override ICoordinatorStore Open() => new PostgresCoordinatorStore(_database.Value);

    [BackendFact]
    public void Coordinators_opening_one_database_at_once_migrate_it_once()
    {
        var stores = Enumerable.Range(0, 4).AsParallel().Select(_ => Open()).ToList();
        try
        {
            Assert.All(stores, s => Assert.Equal(CoordinatorSchema.LatestVersion, s.SchemaVersion));
            using var connection = new NpgsqlConnection(_database.Value);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations;";
            Assert.Equal(string.Join(",", Enumerable.Range(1, CoordinatorSchema.LatestVersion)), command.ExecuteScalar());
        }
        finally
        {
            stores.ForEach(s => s.Dispose());
        }
    }

    [BackendFact]
    public async Task A_takeover_in_the_middle_of_a_stream_of_commits_lets_none_through_after_it()
    {
        using var stale = Open();
        using var successor = Open();
        await stale.TakeLeaseAsync("stale");
        await stale.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
        var committing = Task.Run(async () =>
        {
            for (long round = 1; ; round++)
            {
                try
                {
                    await stale.CommitRoundAsync("run-1", Round(round, 0.5));
                }
                catch (RunFencedException)
                {
                    return round;
                }
            }
        });
        while ((await successor.LoadRoundsAsync("run-1")).Count < 5)
        {
            await Task.Delay(10);
        }

        await successor.TakeLeaseAsync("successor");
        // What the successor reads once it holds the lease is final: the stale coordinator's next commit is refused.
        int seen = (await successor.LoadRoundsAsync("run-1")).Count;
        long refusedRound = await committing.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(seen + 1, refusedRound);
        Assert.Equal(Enumerable.Range(1, seen).Select(r => (long)r), (await successor.LoadRoundsAsync("run-1")).Select(r => r.Round));
    }

    [BackendFact]
    public async Task The_store_factory_opens_postgres_from_a_url()
    {
        string url = PostgresServer.Require().Url(_database.Value);
        using var store = CoordinatorStoreFactory.Open(url, Path.GetTempPath());
        Assert.IsType<PostgresCoordinatorStore>(store);
        Assert.Null(await store.LoadRunAsync());
    }
}
