using System.Data.Common;
using FedTrain.Coordinator.Security;

namespace FedTrain.Coordinator.Storage;

/// <summary>Enrollment tokens and worker credentials (schema migrations 3 and 6), the same SQL on both databases.</summary>
public abstract partial class RelationalCoordinatorStore : ICredentialStore
{
    private const string EnrollmentColumns = "SELECT token_id, worker_id, secret_hash, created_at, expires_at, used_at, revoked_at, clients FROM enrollments";

    private const string CredentialColumns = "SELECT credential_id, worker_id, run_id, secret_hash, created_at, revoked_at, clients FROM credentials";

    private static readonly string[] RevokeStatements =
    [
        "UPDATE credentials SET revoked_at = @at WHERE worker_id = @worker AND revoked_at IS NULL;",
        "UPDATE enrollments SET revoked_at = @at WHERE worker_id = @worker AND revoked_at IS NULL AND used_at IS NULL;",
    ];

    public void AddEnrollment(EnrollmentRecord enrollment)
    {
        ArgumentNullException.ThrowIfNull(enrollment);
        Use(connection =>
        {
            using var command = Command(connection, null, """
                INSERT INTO enrollments (token_id, worker_id, secret_hash, created_at, expires_at, clients)
                VALUES (@id, @worker, @hash, @created, @expires, @clients);
                """);
            DbParameters.Add(command, "@id", enrollment.TokenId);
            DbParameters.Add(command, "@worker", enrollment.WorkerId);
            DbParameters.Add(command, "@hash", enrollment.SecretHash);
            DbParameters.Add(command, "@created", StoredValues.Time(enrollment.CreatedAt));
            DbParameters.Add(command, "@expires", StoredValues.Time(enrollment.ExpiresAt));
            DbParameters.Add(command, "@clients", enrollment.Clients?.ToStored());
            return command.ExecuteNonQuery();
        });
    }

    public EnrollmentRecord? FindEnrollment(string tokenId) => UseForLookup(connection =>
    {
        using var command = Command(connection, null, EnrollmentColumns + " WHERE token_id = @id;");
        DbParameters.Add(command, "@id", tokenId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadEnrollment(reader) : null;
    });

    public bool TryMarkEnrollmentUsed(string tokenId, DateTimeOffset usedAt) => Use(connection =>
    {
        // One statement, so two concurrent redemptions of the same token cannot both succeed.
        using var command = Command(connection, null, "UPDATE enrollments SET used_at = @at WHERE token_id = @id AND used_at IS NULL AND revoked_at IS NULL;");
        DbParameters.Add(command, "@id", tokenId);
        DbParameters.Add(command, "@at", StoredValues.Time(usedAt));
        return command.ExecuteNonQuery() == 1;
    });

    public void AddCredential(CredentialRecord credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        Use(connection =>
        {
            using var command = Command(connection, null, """
                INSERT INTO credentials (credential_id, worker_id, run_id, secret_hash, created_at, clients)
                VALUES (@id, @worker, @run, @hash, @created, @clients);
                """);
            DbParameters.Add(command, "@id", credential.CredentialId);
            DbParameters.Add(command, "@worker", credential.WorkerId);
            DbParameters.Add(command, "@run", credential.RunId);
            DbParameters.Add(command, "@hash", credential.SecretHash);
            DbParameters.Add(command, "@created", StoredValues.Time(credential.CreatedAt));
            DbParameters.Add(command, "@clients", credential.Clients?.ToStored());
            return command.ExecuteNonQuery();
        });
    }

    public CredentialRecord? FindCredential(string credentialId) => UseForLookup(connection =>
    {
        using var command = Command(connection, null, CredentialColumns + " WHERE credential_id = @id;");
        DbParameters.Add(command, "@id", credentialId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadCredential(reader) : null;
    });

    public int RevokeWorker(string workerId, DateTimeOffset revokedAt) => Use(connection =>
    {
        using var transaction = connection.BeginTransaction();
        int revoked = 0;
        foreach (string sql in RevokeStatements)
        {
            using var command = Command(connection, transaction, sql);
            DbParameters.Add(command, "@worker", workerId);
            DbParameters.Add(command, "@at", StoredValues.Time(revokedAt));
            revoked += command.ExecuteNonQuery();
        }

        transaction.Commit();
        return revoked;
    });

    public IReadOnlyList<EnrollmentRecord> ListEnrollments() => Use(connection =>
    {
        using var command = Command(connection, null, EnrollmentColumns + " ORDER BY worker_id, created_at;");
        using var reader = command.ExecuteReader();
        var result = new List<EnrollmentRecord>();
        while (reader.Read())
        {
            result.Add(ReadEnrollment(reader));
        }

        return (IReadOnlyList<EnrollmentRecord>)result;
    });

    public IReadOnlyList<CredentialRecord> ListCredentials() => Use(connection =>
    {
        using var command = Command(connection, null, CredentialColumns + " ORDER BY worker_id, created_at;");
        using var reader = command.ExecuteReader();
        var result = new List<CredentialRecord>();
        while (reader.Read())
        {
            result.Add(ReadCredential(reader));
        }

        return (IReadOnlyList<CredentialRecord>)result;
    });

    private static EnrollmentRecord ReadEnrollment(DbDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), (byte[])reader.GetValue(2), StoredValues.Time(reader.GetString(3)), StoredValues.Time(reader.GetString(4)),
        reader.IsDBNull(5) ? null : StoredValues.Time(reader.GetString(5)), reader.IsDBNull(6) ? null : StoredValues.Time(reader.GetString(6)),
        Grant(StoredValues.NullableString(reader, 7), reader.GetString(1)));

    private static CredentialRecord ReadCredential(DbDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), (byte[])reader.GetValue(3), StoredValues.Time(reader.GetString(4)),
        reader.IsDBNull(5) ? null : StoredValues.Time(reader.GetString(5)), Grant(StoredValues.NullableString(reader, 6), reader.GetString(1)));

    /// <summary>A stored grant; NULL (the default, and every row written before migration 6) stays null: the worker's own id.</summary>
    private static ClientGrant? Grant(string? stored, string workerId) => stored is null ? null : ClientGrant.FromStored(stored, workerId);
}
