namespace FedTrain.Coordinator.Security;

/// <summary>
/// A one-time enrollment token as stored: its id, the worker it admits, the hash of its secret, and the clients the
/// worker may speak for (null: the worker's own id only), which the credential it is redeemed for inherits.
/// </summary>
public sealed record EnrollmentRecord(
    string TokenId, string WorkerId, byte[] SecretHash, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? UsedAt, DateTimeOffset? RevokedAt,
    ClientGrant? Clients = null)
{
    /// <summary>The clients this enrolment grants (the worker's own id when none were named).</summary>
    public ClientGrant Grant => Clients ?? ClientGrant.Own(WorkerId);
}
