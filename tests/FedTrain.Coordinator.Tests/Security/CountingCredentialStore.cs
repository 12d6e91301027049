using FedTrain.Coordinator.Security;

namespace FedTrain.Coordinator.Tests.Security;

/// <summary>A real credential store that counts the lookups made through it.</summary>
internal sealed class CountingCredentialStore(ICredentialStore inner) : ICredentialStore
{
    private int _lookups;

    public int Lookups => Volatile.Read(ref _lookups);

    public Task AddEnrollmentAsync(EnrollmentRecord enrollment, CancellationToken cancellationToken = default) => inner.AddEnrollmentAsync(enrollment, cancellationToken);

    public Task<EnrollmentRecord?> FindEnrollmentAsync(string tokenId, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _lookups);
        return inner.FindEnrollmentAsync(tokenId, cancellationToken);
    }

    public Task<bool> TryMarkEnrollmentUsedAsync(string tokenId, DateTimeOffset usedAt, CancellationToken cancellationToken = default) =>
        inner.TryMarkEnrollmentUsedAsync(tokenId, usedAt, cancellationToken);

    public Task AddCredentialAsync(CredentialRecord credential, CancellationToken cancellationToken = default) => inner.AddCredentialAsync(credential, cancellationToken);

    public Task<CredentialRecord?> FindCredentialAsync(string credentialId, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _lookups);
        return inner.FindCredentialAsync(credentialId, cancellationToken);
    }

    public Task<int> RevokeWorkerAsync(string workerId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default) =>
        inner.RevokeWorkerAsync(workerId, revokedAt, cancellationToken);

    public Task<IReadOnlyList<EnrollmentRecord>> ListEnrollmentsAsync(CancellationToken cancellationToken = default) => inner.ListEnrollmentsAsync(cancellationToken);

    public Task<IReadOnlyList<CredentialRecord>> ListCredentialsAsync(CancellationToken cancellationToken = default) => inner.ListCredentialsAsync(cancellationToken);
}
