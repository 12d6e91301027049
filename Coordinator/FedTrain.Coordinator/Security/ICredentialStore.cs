namespace FedTrain.Coordinator.Security;

/// <summary>Durable enrolment state: enrollment tokens and worker credentials, both stored as hashes.</summary>
public interface ICredentialStore
{
    void AddEnrollment(EnrollmentRecord enrollment);

    EnrollmentRecord? FindEnrollment(string tokenId);

    /// <summary>Marks the token used; false when it was already used or revoked (so it is redeemed at most once).</summary>
    bool TryMarkEnrollmentUsed(string tokenId, DateTimeOffset usedAt);

    void AddCredential(CredentialRecord credential);

    CredentialRecord? FindCredential(string credentialId);

    /// <summary>Revokes every credential and unused enrollment token of the worker; returns how many were revoked.</summary>
    int RevokeWorker(string workerId, DateTimeOffset revokedAt);

    IReadOnlyList<EnrollmentRecord> ListEnrollments();

    IReadOnlyList<CredentialRecord> ListCredentials();
}
