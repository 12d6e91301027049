using FedTrain.Coordinator.Security;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// One secured coordinator with a credential of every kind: valid (alpha), revoked (bravo), bound to another run
/// (charlie), plus an unused enrollment token.
/// </summary>
public sealed class AuthFixture : IAsyncLifetime
{
    internal SecureCoordinator Coordinator { get; private set; } = null!;

    public string Valid { get; private set; } = null!;

    public string Revoked { get; private set; } = null!;

    public string OtherRun { get; private set; } = null!;

    public string EnrollmentToken { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Coordinator = await SecureCoordinator.StartAsync("auth");
        Valid = await Coordinator.EnrolAsync("alpha");
        Revoked = await Coordinator.EnrolAsync("bravo");
        EnrollmentToken = await Coordinator.IssueEnrollmentTokenAsync("delta");
        using var store = Coordinator.OpenStore();
        Assert.Equal(1, await store.RevokeWorkerAsync("bravo", DateTimeOffset.UtcNow));
        // A credential this database knows, issued for another run (as a shared store would hold).
        var other = SecretToken.Create(SecretToken.CredentialKind);
        await store.AddCredentialAsync(new CredentialRecord(other.Id, "charlie", "run-elsewhere", other.SecretHash, DateTimeOffset.UtcNow, null));
        OtherRun = other.Token;
    }

    public async Task DisposeAsync() => await Coordinator.DisposeAsync();
}
