using FedTrain.Coordinator.Security;

namespace FedTrain.Coordinator.Tests.Security;

/// <summary>A real credential store that counts the lookups made through it.</summary>
internal sealed class CountingCredentialStore(ICredentialStore inner) : ICredentialStore
{
    private int _lookups;

    public int Lookups => Volatile.Read(ref _lookups);

    public void AddEnrollment(EnrollmentRecord enrollment) => inner.AddEnrollment(enrollment);

    public EnrollmentRecord? FindEnrollment(string tokenId)
    {
        Interlocked.Increment(ref _lookups);
        return inner.FindEnrollment(tokenId);
    }

    public bool TryMarkEnrollmentUsed(string tokenId, DateTimeOffset usedAt) => inner.TryMarkEnrollmentUsed(tokenId, usedAt);

    public void AddCredential(CredentialRecord credential) => inner.AddCredential(credential);

    public CredentialRecord? FindCredential(string credentialId)
    {
        Interlocked.Increment(ref _lookups);
        return inner.FindCredential(credentialId);
    }

    public int RevokeWorker(string workerId, DateTimeOffset revokedAt) => inner.RevokeWorker(workerId, revokedAt);

    public IReadOnlyList<EnrollmentRecord> ListEnrollments() => inner.ListEnrollments();

    public IReadOnlyList<CredentialRecord> ListCredentials() => inner.ListCredentials();
}
