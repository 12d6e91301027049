namespace FedTrain.Coordinator.Security;

/// <summary>A worker credential as stored: bound to one worker id and one run; only the hash of its secret is kept.</summary>
public sealed record CredentialRecord(
    string CredentialId, string WorkerId, string RunId, byte[] SecretHash, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);
