using FedTrain.Coordinator.Storage;
using Npgsql;

namespace FedTrain.Coordinator.Tests.Storage;

public sealed class PostgresConnectionStringTests
{
    [Fact]
    public void A_url_becomes_an_npgsql_connection_string()
    {
        var builder = new NpgsqlConnectionStringBuilder(
            PostgresConnectionString.Parse("postgres://fed%40train:p%3Ass@db.example:6432/federation?sslmode=require&timeout=7"));
        Assert.Equal(("db.example", 6432, "federation", "fed@train", "p:ss"), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password));
        Assert.Equal(SslMode.Require, builder.SslMode);
        Assert.Equal(7, builder.Timeout);
    }

    [Theory]
    [InlineData("postgres://db.example/fed", true)]
    [InlineData("postgresql://db.example/fed", true)]
    [InlineData("Host=db.example;Database=fed", true)]
    [InlineData("coordinator.db", false)]
    [InlineData("/var/lib/fedtrain/coordinator.db", false)]
    public void Postgres_forms_are_told_from_sqlite_paths(string database, bool postgres) =>
        Assert.Equal(postgres, PostgresConnectionString.IsPostgres(database));

    [Theory]
    [InlineData("postgres://db.example", "names no database")]
    [InlineData("postgres://db.example/fed?no_such_option=1", "no_such_option")]
    [InlineData("postgres:///fed", "must be")]
    public void Bad_urls_are_refused_with_the_reason(string database, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => PostgresConnectionString.Parse(database));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sqlite_is_the_default_in_the_run_directory()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"store-default-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            using (var store = CoordinatorStoreFactory.Open(null, directory))
            {
                Assert.IsType<SqliteCoordinatorStore>(store);
            }

            Assert.True(File.Exists(Path.Combine(directory, CoordinatorStoreFactory.DefaultFileName)));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
