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

    public Task AddEnrollmentAsync(EnrollmentRecord enrollment, CancellationToken cancellationToken = default) => _credentials.AddEnrollmentAsync(enrollment, cancellationToken);

    public Task<EnrollmentRecord?> FindEnrollmentAsync(string tokenId, CancellationToken cancellationToken = default) => _credentials.FindEnrollmentAsync(tokenId, cancellationToken);

    public Task<bool> TryMarkEnrollmentUsedAsync(string tokenId, DateTimeOffset usedAt, CancellationToken cancellationToken = default) =>
        _credentials.TryMarkEnrollmentUsedAsync(tokenId, usedAt, cancellationToken);

    public Task AddCredentialAsync(CredentialRecord credential, CancellationToken cancellationToken = default) => _credentials.AddCredentialAsync(credential, cancellationToken);

    public Task<CredentialRecord?> FindCredentialAsync(string credentialId, CancellationToken cancellationToken = default) =>
        _credentials.FindCredentialAsync(credentialId, cancellationToken);

    public Task<int> RevokeWorkerAsync(string workerId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default) =>
        _credentials.RevokeWorkerAsync(workerId, revokedAt, cancellationToken);

    public Task<IReadOnlyList<EnrollmentRecord>> ListEnrollmentsAsync(CancellationToken cancellationToken = default) => _credentials.ListEnrollmentsAsync(cancellationToken);

    public Task<IReadOnlyList<CredentialRecord>> ListCredentialsAsync(CancellationToken cancellationToken = default) => _credentials.ListCredentialsAsync(cancellationToken);

    public void Dispose() => _store.Dispose();
}
