using FedTrain.Coordinator.Cluster;
using FedTrain.TestSupport;
using Npgsql;

namespace FedTrain.Integration.Tests.Cluster;

/// <summary>
/// The membership schema this project writes for Orleans' ADO.NET clustering, on a real PostgreSQL, driven the way
/// the provider drives it: the statements read from <c>OrleansQuery</c> by key, with the provider's parameter names.
/// </summary>
public sealed class OrleansPostgresSchemaTests : IRequiresPostgres
{
    private const string Deployment = "schema-test";

    [BackendFact]
    public async Task Nodes_creating_the_schema_at_once_leave_one_schema_with_every_statement_the_provider_reads()
    {
        string database = PostgresServer.Require().CreateDatabase("orleans");
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => OrleansPostgresSchema.EnsureAsync(database, CancellationToken.None)));
        await OrleansPostgresSchema.EnsureAsync(database, CancellationToken.None);

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var keys = new NpgsqlCommand("SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey;", connection);
        var stored = new List<string>();
        await using (var reader = await keys.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored.Add(reader.GetString(0));
            }
        }

        Assert.Equal(OrleansPostgresSchema.Queries.Keys.Order(StringComparer.Ordinal), stored);
    }

    [BackendFact]
    public async Task A_membership_change_against_a_stale_version_changes_nothing_and_a_current_one_changes_both()
    {
        string database = PostgresServer.Require().CreateDatabase("orleans");
        await OrleansPostgresSchema.EnsureAsync(database, CancellationToken.None);
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();

        Assert.Equal(1, await ScalarAsync(connection, "InsertMembershipVersionKey", ("DeploymentId", Deployment)));
        Assert.Equal(0, await ScalarAsync(connection, "InsertMembershipVersionKey", ("DeploymentId", Deployment)));

        var now = DateTime.UtcNow;
        (string, object?)[] Join(int version) =>
        [
            ("DeploymentId", Deployment), ("Address", "10.0.0.1"), ("Port", 11111), ("Generation", 7), ("SiloName", "a"), ("HostName", "host-a"),
            ("Status", 1), ("ProxyPort", 0), ("StartTime", now), ("IAmAliveTime", now), ("Version", version),
        ];
        Assert.Equal(0, await ScalarAsync(connection, "InsertMembershipKey", Join(version: 5)));
        Assert.Equal((0, 0), await StateAsync(connection));
        Assert.Equal(1, await ScalarAsync(connection, "InsertMembershipKey", Join(version: 0)));
        Assert.Equal((1, 1), await StateAsync(connection));
        // The same silo joining again: refused, and the version bump undone with it.
        Assert.Equal(0, await ScalarAsync(connection, "InsertMembershipKey", Join(version: 1)));
        Assert.Equal((1, 1), await StateAsync(connection));

        (string, object?)[] Update(int version, int port) =>
        [
            ("DeploymentId", Deployment), ("Address", "10.0.0.1"), ("Port", port), ("Generation", 7), ("Status", 3),
            ("SuspectTimes", "none"), ("IAmAliveTime", now), ("Version", version),
        ];
        Assert.Equal(0, await ScalarAsync(connection, "UpdateMembershipKey", Update(version: 0, port: 11111)));
        Assert.Equal(0, await ScalarAsync(connection, "UpdateMembershipKey", Update(version: 1, port: 22222)));
        Assert.Equal((1, 1), await StateAsync(connection));
        Assert.Equal(1, await ScalarAsync(connection, "UpdateMembershipKey", Update(version: 1, port: 11111)));
        Assert.Equal((2, 1), await StateAsync(connection));

        // The rows read back under the column names the provider reads, with the version.
        await using var read = await CommandAsync(connection, "MembershipReadAllKey", ("DeploymentId", Deployment));
        await using var reader = await read.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("10.0.0.1", 11111, 3, 2), (reader.GetString(reader.GetOrdinal("Address")), reader.GetInt32(reader.GetOrdinal("Port")),
            reader.GetInt32(reader.GetOrdinal("Status")), reader.GetInt32(reader.GetOrdinal("Version"))));
    }

    /// <summary>The table version and the number of member rows.</summary>
    private static async Task<(int Version, long Members)> StateAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT Version FROM OrleansMembershipVersionTable WHERE DeploymentId = @d), (SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @d);",
            connection);
        command.Parameters.AddWithValue("d", Deployment);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt32(0), reader.GetInt64(1));
    }

    private static async Task<int> ScalarAsync(NpgsqlConnection connection, string key, params (string Name, object? Value)[] parameters)
    {
        await using var command = await CommandAsync(connection, key, parameters);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The stored statement for <paramref name="key"/> with the provider's parameter names, as it sends them.</summary>
    private static async Task<NpgsqlCommand> CommandAsync(NpgsqlConnection connection, string key, params (string Name, object? Value)[] parameters)
    {
        string text;
        await using (var lookup = new NpgsqlCommand("SELECT QueryText FROM OrleansQuery WHERE QueryKey = @key;", connection))
        {
            lookup.Parameters.AddWithValue("key", key);
            text = (string)(await lookup.ExecuteScalarAsync())!;
        }

        var command = new NpgsqlCommand(text, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}
