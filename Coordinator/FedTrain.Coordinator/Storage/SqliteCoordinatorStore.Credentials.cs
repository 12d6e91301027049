using System.Globalization;
using FedTrain.Coordinator.Security;
using Microsoft.Data.Sqlite;

namespace FedTrain.Coordinator.Storage;

/// <summary>Enrollment tokens and worker credentials in the run database (schema version 2).</summary>
public sealed partial class SqliteCoordinatorStore : ICredentialStore
{
    public void AddEnrollment(EnrollmentRecord enrollment)
    {
        ArgumentNullException.ThrowIfNull(enrollment);
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO enrollments (token_id, worker_id, secret_hash, created_at, expires_at)
                VALUES ($id, $worker, $hash, $created, $expires);
                """;
            command.Parameters.AddWithValue("$id", enrollment.TokenId);
            command.Parameters.AddWithValue("$worker", enrollment.WorkerId);
            command.Parameters.AddWithValue("$hash", enrollment.SecretHash);
            command.Parameters.AddWithValue("$created", Text(enrollment.CreatedAt));
            command.Parameters.AddWithValue("$expires", Text(enrollment.ExpiresAt));
            command.ExecuteNonQuery();
        }
    }

    public EnrollmentRecord? FindEnrollment(string tokenId)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = EnrollmentColumns + " WHERE token_id = $id;";
            command.Parameters.AddWithValue("$id", tokenId);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadEnrollment(reader) : null;
        }
    }

    public bool TryMarkEnrollmentUsed(string tokenId, DateTimeOffset usedAt)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            // One statement, so two concurrent redemptions of the same token cannot both succeed.
            command.CommandText = "UPDATE enrollments SET used_at = $at WHERE token_id = $id AND used_at IS NULL AND revoked_at IS NULL;";
            command.Parameters.AddWithValue("$id", tokenId);
            command.Parameters.AddWithValue("$at", Text(usedAt));
            return command.ExecuteNonQuery() == 1;
        }
    }

    public void AddCredential(CredentialRecord credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO credentials (credential_id, worker_id, run_id, secret_hash, created_at)
                VALUES ($id, $worker, $run, $hash, $created);
                """;
            command.Parameters.AddWithValue("$id", credential.CredentialId);
            command.Parameters.AddWithValue("$worker", credential.WorkerId);
            command.Parameters.AddWithValue("$run", credential.RunId);
            command.Parameters.AddWithValue("$hash", credential.SecretHash);
            command.Parameters.AddWithValue("$created", Text(credential.CreatedAt));
            command.ExecuteNonQuery();
        }
    }

    public CredentialRecord? FindCredential(string credentialId)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = CredentialColumns + " WHERE credential_id = $id;";
            command.Parameters.AddWithValue("$id", credentialId);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadCredential(reader) : null;
        }
    }

    public int RevokeWorker(string workerId, DateTimeOffset revokedAt)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            int revoked = 0;
            foreach (string sql in new[]
            {
                "UPDATE credentials SET revoked_at = $at WHERE worker_id = $worker AND revoked_at IS NULL;",
                "UPDATE enrollments SET revoked_at = $at WHERE worker_id = $worker AND revoked_at IS NULL AND used_at IS NULL;",
            })
            {
                using var command = _connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = sql;
                command.Parameters.AddWithValue("$worker", workerId);
                command.Parameters.AddWithValue("$at", Text(revokedAt));
                revoked += command.ExecuteNonQuery();
            }

            transaction.Commit();
            return revoked;
        }
    }

    public IReadOnlyList<EnrollmentRecord> ListEnrollments()
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = EnrollmentColumns + " ORDER BY worker_id, created_at;";
            using var reader = command.ExecuteReader();
            var result = new List<EnrollmentRecord>();
            while (reader.Read())
            {
                result.Add(ReadEnrollment(reader));
            }

            return result;
        }
    }

    public IReadOnlyList<CredentialRecord> ListCredentials()
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = CredentialColumns + " ORDER BY worker_id, created_at;";
            using var reader = command.ExecuteReader();
            var result = new List<CredentialRecord>();
            while (reader.Read())
            {
                result.Add(ReadCredential(reader));
            }

            return result;
        }
    }

    private const string EnrollmentColumns = "SELECT token_id, worker_id, secret_hash, created_at, expires_at, used_at, revoked_at FROM enrollments";

    private const string CredentialColumns = "SELECT credential_id, worker_id, run_id, secret_hash, created_at, revoked_at FROM credentials";

    private static EnrollmentRecord ReadEnrollment(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), (byte[])reader.GetValue(2), Parse(reader.GetString(3)), Parse(reader.GetString(4)),
        reader.IsDBNull(5) ? null : Parse(reader.GetString(5)), reader.IsDBNull(6) ? null : Parse(reader.GetString(6)));

    private static CredentialRecord ReadCredential(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), (byte[])reader.GetValue(3), Parse(reader.GetString(4)),
        reader.IsDBNull(5) ? null : Parse(reader.GetString(5)));

    private static string Text(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture);

    private void MigrateCredentials() => Execute("""
        CREATE TABLE IF NOT EXISTS enrollments (
            token_id TEXT PRIMARY KEY, worker_id TEXT NOT NULL, secret_hash BLOB NOT NULL, created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL, used_at TEXT, revoked_at TEXT);
        CREATE TABLE IF NOT EXISTS credentials (
            credential_id TEXT PRIMARY KEY, worker_id TEXT NOT NULL, run_id TEXT NOT NULL, secret_hash BLOB NOT NULL,
            created_at TEXT NOT NULL, revoked_at TEXT);
        CREATE INDEX IF NOT EXISTS credentials_by_worker ON credentials (worker_id);
        PRAGMA user_version = 2;
        """);
}
