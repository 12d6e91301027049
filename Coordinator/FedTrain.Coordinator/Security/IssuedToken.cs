namespace FedTrain.Coordinator.Security;

/// <summary>A freshly made secret: the token to hand out once, its lookup id, and the hash that is stored.</summary>
public sealed record IssuedToken(string Token, string Id, byte[] SecretHash)
{
    // Records print their members; a secret must never reach a log through ToString.
    public override string ToString() => $"IssuedToken {{ Id = {Id} }}";
}
