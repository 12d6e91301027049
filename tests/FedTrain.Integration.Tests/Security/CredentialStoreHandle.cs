using FedTrain.Coordinator.Security;
using FedTrain.Coordinator.Storage;

namespace FedTrain.Integration.Tests.Security;

/// <summary>A second, test-side handle on a coordinator's credentials, whichever store (SQLite or PostgreSQL) it uses.</summary>
internal sealed class CredentialStoreHandle : ICredentialStore, IDisposable
{
    private readonly ICoordinatorStore _store;
    private readonly ICredentialStore _credentials;

    public CredentialStoreHandle(ICoordinatorStore store)
    {
        _store = store;
        _credentials = store as ICredentialStore ?? throw new ArgumentException($"{store.GetType().Name} keeps no credentials.", nameof(store));
    }

    public void AddEnrollment(EnrollmentRecord enrollment) => _credentials.AddEnrollment(enrollment);

    public EnrollmentRecord? FindEnrollment(string tokenId) => _credentials.FindEnrollment(tokenId);

    public bool TryMarkEnrollmentUsed(string tokenId, DateTimeOffset usedAt) => _credentials.TryMarkEnrollmentUsed(tokenId, usedAt);

    public void AddCredential(CredentialRecord credential) => _credentials.AddCredential(credential);

    public CredentialRecord? FindCredential(string credentialId) => _credentials.FindCredential(credentialId);

    public int RevokeWorker(string workerId, DateTimeOffset revokedAt) => _credentials.RevokeWorker(workerId, revokedAt);

    public IReadOnlyList<EnrollmentRecord> ListEnrollments() => _credentials.ListEnrollments();

    public IReadOnlyList<CredentialRecord> ListCredentials() => _credentials.ListCredentials();

    public void Dispose() => _store.Dispose();
}
