namespace FedTrain.Coordinator.Security;

/// <summary>
/// A worker credential as stored: bound to one worker id, one run and the clients the worker may speak for (null:
/// its own id only); only the hash of its secret is kept.
/// </summary>
public sealed record CredentialRecord(
    string CredentialId, string WorkerId, string RunId, byte[] SecretHash, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt,
    ClientGrant? Clients = null)
{
    /// <summary>The clients this credential may register (the worker's own id when none were named).</summary>
    public ClientGrant Grant => Clients ?? ClientGrant.Own(WorkerId);
}
