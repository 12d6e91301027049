using FedTrain.Coordinator.Storage;
using FedTrain.TestSupport;
using Microsoft.Data.Sqlite;

namespace FedTrain.Coordinator.Tests.Storage;

/// <summary>The store contract on SQLite, plus the upgrade of databases written before schema_migrations existed.</summary>
public sealed class SqliteCoordinatorStoreTests : CoordinatorStoreContract, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"store-{Guid.NewGuid():N}.db");

    protected override ICoordinatorStore Open() => new SqliteCoordinatorStore(_path);

    [BackendFact]
    public async Task A_credential_lookup_does_not_wait_behind_a_write_that_holds_the_store()
    {
        using var store = (SqliteCoordinatorStore)Open();
        var issued = FedTrain.Coordinator.Security.SecretToken.Create(FedTrain.Coordinator.Security.SecretToken.CredentialKind);
        await store.AddCredentialAsync(new FedTrain.Coordinator.Security.CredentialRecord(issued.Id, "worker-1", "run-1", issued.SecretHash, DateTimeOffset.UtcNow, null));
        using var blocker = new SqliteConnection($"Data Source={_path};Pooling=False");
        blocker.Open();
        using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;"; // another writer holds the database, as a commit waiting on fsync would
            begin.ExecuteNonQuery();
        }

        // This write now waits inside the store, holding its write path, until the blocker lets go.
        var write = Task.Run(() => store.AddEnrollmentAsync(new FedTrain.Coordinator.Security.EnrollmentRecord("e-1", "worker-2", [1, 2, 3], DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), null, null)));
        var lookup = Task.Run(() => store.FindCredentialAsync(issued.Id));
        var found = await lookup.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.False(write.IsCompleted, "the write did not wait for the blocker, so the test proved nothing");
        Assert.Equal("worker-1", found!.WorkerId);
        using (var commit = blocker.CreateCommand())
        {
            commit.CommandText = "COMMIT;";
            commit.ExecuteNonQuery();
        }

        await write.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [BackendFact]
    public async Task A_version_1_database_is_adopted_and_migrated_keeping_its_rounds()
    {
        using (var legacy = new SqliteConnection($"Data Source={_path};Pooling=False"))
        {
            legacy.Open();
            using var command = legacy.CreateCommand();
            // Exactly what the version 1 coordinator created: tables and user_version, no schema_migrations.
            command.CommandText = CoordinatorSchema.Migrations(SqlDialect.Sqlite)[0].Sql + """
                PRAGMA user_version = 1;
                INSERT INTO runs VALUES ('run-old', '{}', '2026-01-01T00:00:00.0000000+00:00', 'running');
                INSERT INTO rounds (run_id, round, model_version, test_accuracy, test_loss, selected, participants,
                    duration_seconds, update_bytes, per_class_accuracy, failures, checkpoint_path, committed_at)
                VALUES ('run-old', 1, 1, 0.6, 0.9, 2, 0, 3.0, 40, '[0.6]', '[]', 'round-0001.safetensors', '2026-01-01T00:01:00.0000000+00:00');
                """;
            command.ExecuteNonQuery();
        }

        using (var store = Open())
        {
            Assert.Equal(CoordinatorSchema.LatestVersion, store.SchemaVersion);
            Assert.Equal("run-old", (await store.LoadRunAsync())!.RunId);
            Assert.Equal(0.6, Assert.Single(await store.LoadRoundsAsync("run-old")).TestAccuracy);
            Assert.Null(await store.LoadPendingRoundAsync("run-old"));
        }

        using var check = new SqliteConnection($"Data Source={_path};Pooling=False");
        check.Open();
        using var versions = check.CreateCommand();
        versions.CommandText = "SELECT group_concat(version) FROM schema_migrations; PRAGMA user_version;";
        using var reader = versions.ExecuteReader();
        reader.Read();
        Assert.Equal(string.Join(",", Enumerable.Range(1, CoordinatorSchema.LatestVersion)), reader.GetString(0));
        reader.NextResult();
        reader.Read();
        Assert.Equal(CoordinatorSchema.LatestVersion, reader.GetInt64(0));
    }

    [BackendFact]
    public async Task A_database_from_a_newer_coordinator_is_refused_by_name()
    {
        using (var store = Open())
        {
            await store.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
        }

        using (var newer = new SqliteConnection($"Data Source={_path};Pooling=False"))
        {
            newer.Open();
            using var command = newer.CreateCommand();
            command.CommandText = "INSERT INTO schema_migrations VALUES (99, 'from the future', '2030-01-01');";
            command.ExecuteNonQuery();
        }

        var error = Assert.Throws<InvalidOperationException>(Open);
        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (string file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }
}
