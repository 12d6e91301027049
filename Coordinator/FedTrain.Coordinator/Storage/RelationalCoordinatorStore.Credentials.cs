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

    public Task AddEnrollmentAsync(EnrollmentRecord enrollment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(enrollment);
        return UseAsync(async connection =>
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
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    public Task<EnrollmentRecord?> FindEnrollmentAsync(string tokenId, CancellationToken cancellationToken = default) => UseForLookupAsync(async connection =>
    {
        using var command = Command(connection, null, EnrollmentColumns + " WHERE token_id = @id;");
        DbParameters.Add(command, "@id", tokenId);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadEnrollment(reader) : null;
    }, cancellationToken);

    public Task<bool> TryMarkEnrollmentUsedAsync(string tokenId, DateTimeOffset usedAt, CancellationToken cancellationToken = default) => UseAsync(async connection =>
    {
        // One statement, so two concurrent redemptions of the same token cannot both succeed.
        using var command = Command(connection, null, "UPDATE enrollments SET used_at = @at WHERE token_id = @id AND used_at IS NULL AND revoked_at IS NULL;");
        DbParameters.Add(command, "@id", tokenId);
        DbParameters.Add(command, "@at", StoredValues.Time(usedAt));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }, cancellationToken);

    public Task AddCredentialAsync(CredentialRecord credential, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return UseAsync(async connection =>
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
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    public Task<CredentialRecord?> FindCredentialAsync(string credentialId, CancellationToken cancellationToken = default) => UseForLookupAsync(async connection =>
    {
        using var command = Command(connection, null, CredentialColumns + " WHERE credential_id = @id;");
        DbParameters.Add(command, "@id", credentialId);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadCredential(reader) : null;
    }, cancellationToken);

    public Task<int> RevokeWorkerAsync(string workerId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default) => UseAsync(async connection =>
    {
        using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        int revoked = 0;
        foreach (string sql in RevokeStatements)
        {
            using var command = Command(connection, transaction, sql);
            DbParameters.Add(command, "@worker", workerId);
            DbParameters.Add(command, "@at", StoredValues.Time(revokedAt));
            revoked += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        return revoked;
    }, cancellationToken);

    public Task<IReadOnlyList<EnrollmentRecord>> ListEnrollmentsAsync(CancellationToken cancellationToken = default) => UseAsync(async connection =>
    {
        using var command = Command(connection, null, EnrollmentColumns + " ORDER BY worker_id, created_at;");
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<EnrollmentRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(ReadEnrollment(reader));
        }

        return (IReadOnlyList<EnrollmentRecord>)result;
    }, cancellationToken);

    public Task<IReadOnlyList<CredentialRecord>> ListCredentialsAsync(CancellationToken cancellationToken = default) => UseAsync(async connection =>
    {
        using var command = Command(connection, null, CredentialColumns + " ORDER BY worker_id, created_at;");
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<CredentialRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(ReadCredential(reader));
        }

        return (IReadOnlyList<CredentialRecord>)result;
    }, cancellationToken);

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
