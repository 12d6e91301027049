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

    [Theory]
    [InlineData("postgres://fed:secret@db.example/fed", true)]
    [InlineData("Host=db.example;Database=fed;Password=secret", true)]
    [InlineData("postgres://fed@db.example/fed", false)]
    [InlineData("Host=db.example;Database=fed;Username=fed", false)]
    [InlineData("coordinator.db", false)]
    public void A_password_in_the_database_option_is_recognised(string database, bool hasPassword) =>
        Assert.Equal(hasPassword, PostgresConnectionString.HasPassword(database));

    [Fact]
    public void The_password_comes_from_the_first_line_of_a_password_file()
    {
        string file = Path.Combine(Path.GetTempPath(), $"pgpass-{Guid.NewGuid():N}");
        File.WriteAllText(file, "s3cret;with=chars\nignored second line\n");
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionString.WithPasswordFile("postgres://fed@db.example/federation", file));

            Assert.Equal(("db.example", "federation", "fed", "s3cret;with=chars"), (builder.Host, builder.Database, builder.Username, builder.Password));
            Assert.Contains("does not exist", Assert.Throws<ArgumentException>(() => PostgresConnectionString.WithPasswordFile("postgres://fed@db.example/federation", file + ".missing")).Message, StringComparison.Ordinal);
            Assert.Contains("PostgreSQL", Assert.Throws<ArgumentException>(() => PostgresConnectionString.WithPasswordFile("coordinator.db", file)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
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
