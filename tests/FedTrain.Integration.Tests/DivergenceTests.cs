using System.Net.Http.Json;
using System.Text.Json;
using FedTrain.Coordinator;
using FedTrain.Coordinator.Hosting;
using FedTrain.Core.Models;
using FedTrain.Integration.Tests.Support;
using FedTrain.Protos;
using FedTrain.Protos.Transport;
using FedTrain.Protos.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedTrain.Integration.Tests;

/// <summary>
/// Clients whose training diverges (a poisoned global model, a learning rate far too large) are recorded as failed,
/// with the reason, and the run goes on to its last round; their workers say so once and never loop on the round.
/// </summary>
public sealed class DivergenceTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task A_poisoned_fedavg_demo_finishes_every_round_and_records_the_divergence()
    {
        // The command a new user tries (with a data subset): one Gaussian attacker in four drags FedAvg's model so far
        // off that every client's training from it diverges in round 2. It used to stop the run after three attempts.
        string dir = RepoPaths.NewRunDirectory("poisoned");
        using var demo = CliProcess.Start(
            "demo", "--workers", "4", "--rounds", "4", "--partition", "dirichlet:0.5", "--seed", "7", "--strategy", "fedavg",
            "--byzantine", "0.25", "--attack", "gaussian", "--train-limit", "8000", "--test-limit", "1000", "--out", dir);
        int exit = await demo.WaitForExitAsync(RunTimeout);
        Assert.True(exit == 0, demo.Output);

        var summary = RunSummary.Load(dir);
        Assert.Equal("finished", summary.GetProperty("status").GetString());
        var rounds = RunSummary.Rounds(summary);
        Assert.Equal(4, rounds.Length);
        var diverged = rounds.Where(r => r.GetProperty("failures").EnumerateArray()
            .Any(f => f.GetString()!.Contains(": worker reported: diverged: ", StringComparison.Ordinal))).ToList();
        Assert.True(diverged.Count > 0, demo.Output);
        foreach (var round in diverged.Where(r => r.GetProperty("participants").GetInt32() == 0))
        {
            // Nothing to aggregate: the round keeps the model and says why.
            Assert.Contains("diverged", round.GetProperty("skipped").GetString(), StringComparison.Ordinal);
        }

        // The database holds the same record as summary.json.
        using var store = TestDatabase.Open(dir);
        var stored = await store.LoadRoundsAsync((await store.LoadRunAsync())!.RunId);
        Assert.Equal(4, stored.Count);
        Assert.Contains(stored, r => r.Failures.Any(f => f.Contains("diverged", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_diverging_client_is_failed_once_per_round_and_its_worker_does_not_loop()
    {
        // One SGD step at a learning rate of 1e30 leaves the parameters out of float range: the training loss (measured
        // before the step) is finite, the held-out loss after it is not. The worker used to report those figures, have
        // them refused, and ask for the same assignment again at once, hundreds of times a minute.
        const int Rounds = 3;
        string dir = RepoPaths.NewRunDirectory("diverging");
        var options = new CoordinatorOptions
        {
            BindAddress = "127.0.0.1",
            GrpcPort = 0,
            HttpPort = 0,
            RunDirectory = dir,
            Rounds = Rounds,
            MinWorkers = 1,
            MinFitClients = 1,
            FractionEvaluate = 0,
            TestLimit = 200,
            Threads = 1,
            RoundTimeout = TimeSpan.FromMinutes(2),
            FinishGracePeriod = TimeSpan.FromSeconds(2),
            Training = TrainingConfig.Default with { LocalEpochs = 0, LocalSteps = 1, LearningRate = 1e30f },
        };
        options.Database = TestDatabase.For(dir);
        options.Security.Auth.Enabled = false;
        await using var host = await CoordinatorHost.StartAsync(options, NullLoggerFactory.Instance, CancellationToken.None);
        // Every call that fetches a round's model, counted where it is served.
        int downloads = 0;
        host.Service.ModelSent += _ => Interlocked.Increment(ref downloads);

        string log = Path.Combine(dir, "worker.log");
        using var worker = CliProcess.Start(
            "worker", "--coordinator", $"http://127.0.0.1:{host.GrpcPort}", "--worker-id", "w1", "--train-limit", "600",
            "--threads", "1", "--state-dir", Path.Combine(dir, "state"), "--log", log);
        await host.Completion.WaitAsync(RunTimeout);

        var committed = host.Orchestrator.CommittedRounds;
        Assert.Equal(Rounds, committed.Count);
        foreach (var round in committed)
        {
            Assert.Empty(round.Participants);
            string failure = Assert.Single(round.Failures);
            Assert.StartsWith("w1: worker reported: diverged: ", failure, StringComparison.Ordinal);
            Assert.Contains("diverged", round.SkipReason, StringComparison.Ordinal);
        }

        // One download per round: the worker answered each round once and was never handed it again.
        Assert.Equal(Rounds, Volatile.Read(ref downloads));
        string workerLog = await ReadSharedAsync(log);
        Assert.Equal(Rounds, workerLog.Split('\n').Count(l => l.Contains("training from model version", StringComparison.Ordinal)));
        Assert.DoesNotContain("abandoned", workerLog, StringComparison.Ordinal);

        // The live page's round data carries the reasons.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.HttpPort}/") };
        var report = await http.GetFromJsonAsync<JsonElement>("api/rounds");
        var points = report.GetProperty("rounds").EnumerateArray().ToList();
        Assert.Equal(Rounds, points.Count);
        Assert.All(points, p => Assert.StartsWith("w1: worker reported: diverged: ", p.GetProperty("failures")[0].GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Non_finite_metrics_are_recorded_as_a_divergence_not_refused()
    {
        // What a worker that predates the "diverged" failure sends: its figures, NaN. The client fails the round with
        // the reason (so it is not handed out again) and the round goes on with the others.
        await using var coordinator = await RejectionCoordinator.StartAsync("nan-metrics", ["good", "nan"]);
        var assignment = coordinator.Assignments["nan"];
        var ack = await coordinator.Channel.UnaryAsync(CoordinatorMethods.ReportMetrics, new MetricsReport
        {
            WorkerId = "nan",
            RunId = assignment.RunId,
            Round = assignment.Round,
            TrainLoss = 2.3,
            HoldoutLoss = double.NaN,
            ExampleCount = RejectionCoordinator.WorkerExamples,
            Steps = 1,
        });
        Assert.NotNull(ack);

        var again = await coordinator.Channel.UnaryAsync(
            CoordinatorMethods.GetAssignment, new AssignmentRequest { WorkerId = "nan", RunId = assignment.RunId, WaitSeconds = 0 });
        Assert.Equal(AssignmentResponse.OutcomeOneofCase.None_, again.OutcomeCase);

        // Counts and times are not results: those are still refused.
        var bad = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => coordinator.Channel.UnaryAsync(CoordinatorMethods.ReportMetrics, new MetricsReport
        {
            WorkerId = "good",
            RunId = assignment.RunId,
            Round = assignment.Round,
            ExampleCount = -1,
        }));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, bad.StatusCode);

        var good = coordinator.Assignments["good"];
        var delta = new float[good.ParameterCount];
        delta.AsSpan().Fill(0.001f);
        var header = coordinator.Header("good", Protos.Payloads.PayloadCodec.CreateHeader(delta, delta.LongLength, 128 * 1024));
        Assert.True((await coordinator.Channel.ClientStreamingAsync(CoordinatorMethods.UploadUpdate, Upload(header, delta))).Accepted);

        await coordinator.Host.Completion.WaitAsync(TimeSpan.FromSeconds(90));
        var round = Assert.Single(coordinator.Host.Orchestrator.CommittedRounds);
        Assert.Equal("good", Assert.Single(round.Participants).ClientId);
        Assert.Equal("nan: diverged: holdout_loss is NaN", Assert.Single(round.Failures));
    }

    private static async IAsyncEnumerable<UpdateChunk> Upload(UploadHeader header, float[] values)
    {
        yield return new UpdateChunk { Header = header };
        foreach (var chunk in Protos.Payloads.PayloadCodec.Chunks(values, values.LongLength, 128 * 1024))
        {
            yield return new UpdateChunk { Data = chunk };
        }

        await Task.CompletedTask;
    }

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
