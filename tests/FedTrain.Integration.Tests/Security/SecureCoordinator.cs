using FedTrain.Coordinator;
using FedTrain.Coordinator.Hosting;
using FedTrain.Coordinator.Security;
using FedTrain.Protos;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// A real coordinator in this process (Kestrel on loopback, SQLite in a temporary run directory) with
/// authentication on. No round starts (it waits for more workers than the tests bring), so calls meet the
/// security layer and the handlers, never a round in progress. Logs are captured.
/// </summary>
internal sealed class SecureCoordinator : IAsyncDisposable
{
    private readonly string? _database;

    private SecureCoordinator(CoordinatorHost host, string runDirectory, string? database, CapturedLogs logs, bool tls)
    {
        Host = host;
        RunDirectory = runDirectory;
        _database = database;
        Logs = logs;
        Address = new Uri($"{(tls ? "https" : "http")}://127.0.0.1:{host.GrpcPort}");
    }

    public CoordinatorHost Host { get; }

    public string RunDirectory { get; }

    public CapturedLogs Logs { get; }

    public Uri Address { get; }

    public static async Task<SecureCoordinator> StartAsync(string name, Action<CoordinatorOptions>? configure = null, LogLevel minimumLevel = LogLevel.Debug)
    {
        var options = new CoordinatorOptions
        {
            BindAddress = "127.0.0.1",
            GrpcPort = 0,
            HttpPort = 0,
            RunDirectory = Support.RepoPaths.NewRunDirectory(name),
            MinWorkers = 1000,
            MinFitClients = 2,
            TestLimit = 100,
            Threads = 1,
            FinishGracePeriod = TimeSpan.FromMilliseconds(100),
        };
        configure?.Invoke(options);
        options.Database ??= Support.TestDatabase.For(options.RunDirectory);
        var logs = new CapturedLogs();
        var factory = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(minimumLevel));
        var host = await CoordinatorHost.StartAsync(options, factory, CancellationToken.None);
        return new SecureCoordinator(host, options.RunDirectory, options.Database, logs, options.Security.Tls.Enabled);
    }

    /// <summary>A second handle on the coordinator's credentials, as <c>fedtrain admin</c> opens them.</summary>
    public CredentialStoreHandle OpenStore() => new(Coordinator.Storage.CoordinatorStoreFactory.Open(_database, RunDirectory));

    /// <param name="clients">The clients the worker may register; null: itself.</param>
    public async Task<string> IssueEnrollmentTokenAsync(string workerId, ClientGrant? clients = null)
    {
        using var store = OpenStore();
        return (await EnrollmentIssuer.IssueAsync(store, workerId, TimeSpan.FromHours(1), TimeProvider.System, clients)).Token;
    }

    /// <summary>Enrols <paramref name="workerId"/> through the real Enroll RPC and returns its credential.</summary>
    /// <param name="clients">The clients the worker may register; null: itself.</param>
    public async Task<string> EnrolAsync(string workerId, ClientGrant? clients = null)
    {
        using var channel = GrpcChannel.ForAddress(Address);
        var response = await channel.UnaryAsync(
            EnrollmentMethods.Enroll,
            new EnrollRequest { WorkerId = workerId },
            new CallOptions(Bearer(await IssueEnrollmentTokenAsync(workerId, clients)), DateTime.UtcNow.AddSeconds(10)));
        Assert.Equal(workerId, response.WorkerId);
        return response.Credential;
    }

    public static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
