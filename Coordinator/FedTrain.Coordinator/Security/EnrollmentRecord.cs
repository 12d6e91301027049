namespace FedTrain.Coordinator.Security;

/// <summary>A one-time enrollment token as stored: its id, the worker it admits, and the hash of its secret.</summary>
public sealed record EnrollmentRecord(
    string TokenId, string WorkerId, byte[] SecretHash, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? UsedAt, DateTimeOffset? RevokedAt);
