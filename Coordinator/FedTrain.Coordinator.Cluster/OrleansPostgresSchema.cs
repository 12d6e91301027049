using Npgsql;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// The tables and queries Orleans' ADO.NET clustering provider needs on PostgreSQL, written for this project and
/// created (or brought up to date) by the coordinator itself: the Orleans packages ship no SQL scripts.
/// </summary>
/// <remarks>
/// <para>The provider reads its statements from a table named <c>OrleansQuery</c> (key, text) and runs them with
/// fixed parameter names (<c>@DeploymentId</c>, <c>@Address</c>, <c>@Port</c>, <c>@Generation</c>, ...); it reads the
/// result columns by name, and a change of membership succeeds when its statement returns one row with a value
/// above 0. Those names are the contract; everything else here is ours.</para>
/// <para>Times are <c>timestamptz</c>: the provider sends UTC times, which Npgsql types as
/// <c>timestamp with time zone</c>, and with <c>timestamp</c> columns PostgreSQL finds no function to call, so silos
/// wait at "Joining" for ever with no error above Debug.</para>
/// <para>A membership change (a silo joining, a status or suspicion update) must move the table's version from the
/// one the silo read, and change the silo's row, together or not at all. Each is one function: it first takes the
/// version row (which serialises concurrent changes), returns 0 when the version moved on, and otherwise changes the
/// silo's row inside a block that undoes the version bump when that row is missing or already there.</para>
/// </remarks>
internal static class OrleansPostgresSchema
{
    /// <summary>Serialises nodes creating the schema at once (an arbitrary constant of this project).</summary>
    private const long SchemaLockKey = 0x4665_6454_7261_696E;

    private const string Tables = """
        CREATE TABLE IF NOT EXISTS OrleansQuery (
            QueryKey varchar(64) PRIMARY KEY,
            QueryText text NOT NULL);
        CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable (
            DeploymentId text PRIMARY KEY,
            Timestamp timestamptz NOT NULL DEFAULT now(),
            Version integer NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS OrleansMembershipTable (
            DeploymentId text NOT NULL REFERENCES OrleansMembershipVersionTable (DeploymentId),
            Address text NOT NULL,
            Port integer NOT NULL,
            Generation integer NOT NULL,
            SiloName text NOT NULL,
            HostName text NOT NULL,
            Status integer NOT NULL,
            ProxyPort integer,
            SuspectTimes text,
            StartTime timestamptz NOT NULL,
            IAmAliveTime timestamptz NOT NULL,
            PRIMARY KEY (DeploymentId, Address, Port, Generation));
        """;

    /// <summary>
    /// The body of a membership change: bump the version the silo read (or answer 0 when it moved on), make the change,
    /// and answer 1; a change that finds nothing to change raises, which undoes the whole block, the bump included.
    /// </summary>
    private static string MembershipChange(string change, string refusal) => $"""
        BEGIN
            UPDATE OrleansMembershipVersionTable SET Version = Version + 1, Timestamp = now()
            WHERE DeploymentId = deployment AND Version = read_version;
            IF NOT FOUND THEN
                RETURN 0;
            END IF;
        {change}
            IF NOT FOUND THEN
                RAISE EXCEPTION '{refusal}';
            END IF;
            RETURN 1;
        EXCEPTION WHEN raise_exception THEN
            RETURN 0;
        END
        """;

    private static readonly string Functions = $"""
        CREATE OR REPLACE FUNCTION fedtrain_orleans_join(
            deployment text, silo_address text, silo_port integer, silo_generation integer, silo_name text, host_name text,
            silo_status integer, proxy_port integer, start_time timestamptz, alive_time timestamptz, read_version integer)
        RETURNS integer LANGUAGE plpgsql AS $$
        {MembershipChange("""
                INSERT INTO OrleansMembershipTable (
                    DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
                VALUES (deployment, silo_address, silo_port, silo_generation, silo_name, host_name, silo_status, proxy_port,
                    start_time, alive_time)
                ON CONFLICT DO NOTHING;
            """, "the silo is already a member")} $$;

        CREATE OR REPLACE FUNCTION fedtrain_orleans_update(
            deployment text, silo_address text, silo_port integer, silo_generation integer, silo_status integer,
            suspect_times text, alive_time timestamptz, read_version integer)
        RETURNS integer LANGUAGE plpgsql AS $$
        {MembershipChange("""
                UPDATE OrleansMembershipTable SET Status = silo_status, SuspectTimes = suspect_times, IAmAliveTime = alive_time
                WHERE DeploymentId = deployment AND Address = silo_address AND Port = silo_port AND Generation = silo_generation;
            """, "the silo is not a member")} $$;
        """;

    private const string MemberColumns = """
        v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort, m.SuspectTimes,
        m.StartTime, m.IAmAliveTime, v.Version
        """;

    /// <summary>The statements, by the keys the provider looks them up with.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Queries = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["InsertMembershipVersionKey"] = """
            WITH created AS (
                INSERT INTO OrleansMembershipVersionTable (DeploymentId) VALUES (@DeploymentId) ON CONFLICT DO NOTHING RETURNING 1)
            SELECT count(*)::integer FROM created;
            """,
        ["InsertMembershipKey"] = """
            SELECT fedtrain_orleans_join(@DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
                @StartTime, @IAmAliveTime, @Version);
            """,
        ["UpdateMembershipKey"] = """
            SELECT fedtrain_orleans_update(@DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes, @IAmAliveTime, @Version);
            """,
        ["UpdateIAmAlivetimeKey"] = """
            UPDATE OrleansMembershipTable SET IAmAliveTime = @IAmAliveTime
            WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;
            """,
        // The version row comes back even when the silo has no row yet: the provider reads the version from it.
        ["MembershipReadRowKey"] = $"""
            SELECT {MemberColumns}
            FROM OrleansMembershipVersionTable v
            LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
                AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
            WHERE v.DeploymentId = @DeploymentId;
            """,
        ["MembershipReadAllKey"] = $"""
            SELECT {MemberColumns}
            FROM OrleansMembershipVersionTable v
            LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
            WHERE v.DeploymentId = @DeploymentId;
            """,
        ["DeleteMembershipTableEntriesKey"] = """
            DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
            DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
            """,
        ["GatewaysQueryKey"] = """
            SELECT Address, ProxyPort, Generation FROM OrleansMembershipTable
            WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;
            """,
        // Status 3 is Active: a live silo's row is kept however old its last I-am-alive.
        ["CleanupDefunctSiloEntriesKey"] = """
            DELETE FROM OrleansMembershipTable
            WHERE DeploymentId = @DeploymentId AND IAmAliveTime < @IAmAliveTime AND Status <> 3;
            """,
    };

    /// <summary>Creates the tables and functions if missing and writes the current statements; safe from several nodes at once.</summary>
    public static async Task EnsureAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockSchema = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key);", connection, transaction))
        {
            lockSchema.Parameters.AddWithValue("key", SchemaLockKey);
            await lockSchema.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var create = new NpgsqlCommand(Tables + Functions, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var (key, text) in Queries)
        {
            await using var upsert = new NpgsqlCommand(
                "INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES (@key, @text) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;",
                connection,
                transaction);
            upsert.Parameters.AddWithValue("key", key);
            upsert.Parameters.AddWithValue("text", text);
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
