namespace FedTrain.Coordinator.Security;

/// <summary>Durable enrolment state: enrollment tokens and worker credentials, both stored as hashes.</summary>
public interface ICredentialStore
{
    Task AddEnrollmentAsync(EnrollmentRecord enrollment, CancellationToken cancellationToken = default);

    Task<EnrollmentRecord?> FindEnrollmentAsync(string tokenId, CancellationToken cancellationToken = default);

    /// <summary>Marks the token used; false when it was already used or revoked (so it is redeemed at most once).</summary>
    Task<bool> TryMarkEnrollmentUsedAsync(string tokenId, DateTimeOffset usedAt, CancellationToken cancellationToken = default);

    Task AddCredentialAsync(CredentialRecord credential, CancellationToken cancellationToken = default);

    Task<CredentialRecord?> FindCredentialAsync(string credentialId, CancellationToken cancellationToken = default);

    /// <summary>Revokes every credential and unused enrollment token of the worker; returns how many were revoked.</summary>
    Task<int> RevokeWorkerAsync(string workerId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<EnrollmentRecord>> ListEnrollmentsAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<CredentialRecord>> ListCredentialsAsync(CancellationToken cancellationToken = default);
}
