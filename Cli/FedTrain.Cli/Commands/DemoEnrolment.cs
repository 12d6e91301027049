using FedTrain.Coordinator.Security;
using FedTrain.Coordinator.Storage;

namespace FedTrain.Cli.Commands;

/// <summary>
/// The demo enrols its own workers the way an operator would: one enrollment token per worker in
/// <c>DIR/secrets</c> (mode 0600), granting the clients that worker simulates; each worker redeems it for a credential
/// kept next to it. A resumed demo reuses the credentials.
/// </summary>
internal static class DemoEnrolment
{
    /// <summary>The security flags of each worker, by worker id.</summary>
    /// <param name="workers">Each worker's id and the clients it may register (null: itself).</param>
    public static async Task<IReadOnlyDictionary<string, string[]>> PrepareAsync(
        string runDirectory, string? database, string? passwordFile, IEnumerable<(string Id, ClientGrant? Clients)> workers, CancellationToken cancellationToken)
    {
        string secrets = Path.Combine(runDirectory, "secrets");
        Core.Files.PrivateFiles.CreateDirectory(runDirectory);
        Core.Files.PrivateFiles.CreateDirectory(secrets);
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        using var store = CoordinatorStoreFactory.Open(database, runDirectory, passwordFile);
        var credentials = (ICredentialStore)store;
        foreach (var (id, clients) in workers)
        {
            string credential = Path.Combine(secrets, id + ".credential");
            if (File.Exists(credential))
            {
                result[id] = ["--credential-file", credential];
                continue;
            }

            string token = Path.Combine(secrets, id + ".enrollment");
            var issued = await EnrollmentIssuer.IssueAsync(credentials, id, TimeSpan.FromHours(1), TimeProvider.System, clients, cancellationToken).ConfigureAwait(false);
            SecretFile.Write(token, issued.Token);
            result[id] = ["--enrollment-token-file", token, "--credential-file", credential];
        }

        return result;
    }
}
