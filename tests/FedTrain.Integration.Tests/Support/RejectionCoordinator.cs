using FedTrain.Coordinator;
using FedTrain.Coordinator.Hosting;
using FedTrain.Protos;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedTrain.Integration.Tests.Support;

/// <summary>
/// A real coordinator in this process (real gRPC on loopback) for upload-validation tests: one round, authentication
/// off, every rejection it reports collected, and the named hand-made workers registered and given their
/// assignments, so a test goes straight to uploading.
/// </summary>
internal sealed class RejectionCoordinator : IAsyncDisposable
{
    public const int WorkerExamples = 100;

    private readonly List<string> _rejections = [];

    private RejectionCoordinator(CoordinatorHost host)
    {
        Host = host;
        Channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{host.GrpcPort}"));
        host.Service.UpdateRejected += (worker, _, reason) =>
        {
            lock (_rejections)
            {
                _rejections.Add($"{worker}: {reason}");
            }
        };
    }

    public CoordinatorHost Host { get; }

    public GrpcChannel Channel { get; }

    /// <summary>Each worker's assignment for the round, by worker id.</summary>
    public Dictionary<string, RoundAssignment> Assignments { get; } = new(StringComparer.Ordinal);

    /// <summary>The rejections reported so far, as "worker: reason".</summary>
    public IReadOnlyList<string> Rejections
    {
        get
        {
            lock (_rejections)
            {
                return [.. _rejections];
            }
        }
    }

    /// <param name="runName">Prefix of the run directory.</param>
    /// <param name="workers">The workers to register, all in the round's cohort.</param>
    /// <param name="configure">Test-specific options on top of the common ones.</param>
    public static async Task<RejectionCoordinator> StartAsync(string runName, string[] workers, Action<CoordinatorOptions>? configure = null)
    {
        var options = new CoordinatorOptions
        {
            BindAddress = "127.0.0.1",
            GrpcPort = 0,
            HttpPort = 0,
            RunDirectory = RepoPaths.NewRunDirectory(runName),
            Rounds = 1,
            MinWorkers = workers.Length,
            MinFitClients = workers.Length,
            QuorumFraction = 0.1,
            TestLimit = 200,
            RoundTimeout = TimeSpan.FromSeconds(60),
            FinishGracePeriod = TimeSpan.FromSeconds(1),
        };
        configure?.Invoke(options);
        options.Database = TestDatabase.For(options.RunDirectory);
        // These tests are about update validation; authentication has its own tests (Security/).
        options.Security.Auth.Enabled = false;
        var coordinator = new RejectionCoordinator(await CoordinatorHost.StartAsync(options, NullLoggerFactory.Instance, CancellationToken.None));
        try
        {
            foreach (string worker in workers)
            {
                var request = new RegisterRequest { WorkerId = worker, Data = new DataSummary { ExampleCount = WorkerExamples } };
                request.Data.LabelHistogram.AddRange([WorkerExamples]);
                var registered = await coordinator.Channel.UnaryAsync(CoordinatorMethods.Register, request);
                Assert.Equal(coordinator.Host.Orchestrator.RunId, registered.RunId);
            }

            foreach (string worker in workers)
            {
                var response = await coordinator.Channel.UnaryAsync(
                    CoordinatorMethods.GetAssignment, new AssignmentRequest { WorkerId = worker, WaitSeconds = 20 });
                Assert.Equal(AssignmentResponse.OutcomeOneofCase.Assignment, response.OutcomeCase);
                coordinator.Assignments[worker] = response.Assignment;
            }
        }
        catch
        {
            await coordinator.DisposeAsync();
            throw;
        }

        return coordinator;
    }

    /// <summary>An upload header for <paramref name="worker"/>'s assignment.</summary>
    public UploadHeader Header(string worker, PayloadHeader payload)
    {
        var assignment = Assignments[worker];
        return new UploadHeader
        {
            WorkerId = worker,
            RunId = assignment.RunId,
            Round = assignment.Round,
            ModelVersion = assignment.ModelVersion,
            ExampleCount = WorkerExamples,
            Payload = payload,
        };
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Host.DisposeAsync();
    }
}
