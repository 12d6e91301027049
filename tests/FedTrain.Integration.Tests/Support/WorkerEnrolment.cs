using FedTrain.Coordinator.Security;
using FedTrain.Coordinator.Storage;

namespace FedTrain.Integration.Tests.Support;

/// <summary>Enrols worker processes as an operator would: an enrollment token per worker in the coordinator's database.</summary>
internal static class WorkerEnrolment
{
    /// <summary>The <c>fedtrain worker</c> flags that make each worker enrol and keep its credential, by worker id.</summary>
    public static Task<IReadOnlyDictionary<string, string[]>> PrepareAsync(string runDirectory, params string[] workerIds) =>
        PrepareInAsync(TestDatabase.For(runDirectory), runDirectory, workerIds);

    /// <summary>Enrols the workers in the coordinator's store: <paramref name="database"/>, or SQLite in the run directory.</summary>
    public static Task<IReadOnlyDictionary<string, string[]>> PrepareInAsync(string? database, string runDirectory, params string[] workerIds) =>
        PrepareInAsync(database, runDirectory, null, workerIds);

    /// <summary>As <see cref="PrepareInAsync(string?, string, string[])"/>, each worker granted <paramref name="clients"/> (null: its own id).</summary>
    public static async Task<IReadOnlyDictionary<string, string[]>> PrepareInAsync(string? database, string runDirectory, ClientGrant? clients, params string[] workerIds)
    {
        string secrets = Path.Combine(runDirectory, "secrets");
        Directory.CreateDirectory(secrets);
        using var store = CoordinatorStoreFactory.Open(database, runDirectory);
        var credentials = (ICredentialStore)store;
        var flags = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (string id in workerIds)
        {
            string token = Path.Combine(secrets, id + ".enrollment");
            SecretFile.Write(token, (await EnrollmentIssuer.IssueAsync(credentials, id, TimeSpan.FromHours(1), TimeProvider.System, clients)).Token);
            flags[id] = ["--enrollment-token-file", token, "--credential-file", Path.Combine(secrets, id + ".credential")];
        }

        return flags;
    }
}
