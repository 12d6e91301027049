using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using FedTrain.Core.Faults;
using FedTrain.Core.Models;
using FedTrain.Protos;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.Protos.Wire;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;
using FedTrain.Trainer;
using FedTrain.Worker.Telemetry;
using Microsoft.Extensions.Logging;
using Polly;

namespace FedTrain.Worker;

/// <summary>
/// A data owner's agent: registers, long-polls for assignments, downloads the global model, trains on local
/// data, uploads the delta and reports metrics, until the run finishes. Survives coordinator restarts by
/// re-registering with backoff.
/// </summary>
public sealed partial class WorkerAgent : IDisposable
{
    private static readonly TimeSpan PollWait = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RetryFirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryMaxDelay = TimeSpan.FromSeconds(30);
    private const int GlobalLossSample = 1000;

    private readonly WorkerOptions _options;
    private readonly LocalData _data;
    private readonly GrpcChannel _channel;
    private readonly NodeChannels _nodeChannels;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _reconnect;
    private readonly ResiliencePipeline _register;
    private ILocalTrainer? _trainer;
    private Core.Models.ModelSpec? _trainerSpec;
    private readonly RecordPrivacyLedger _recordPrivacy;
    private readonly WorkerInstrumentation _instrumentation = new();
    private readonly UpdateCompressor _compressor = new();
    private readonly AssignmentBackoff _backoff = new(RetryFirstDelay, RetryMaxDelay);
    private float[] _global = [];
    private float[] _delta = [];
    private string _runId = string.Empty;
    private TimeSpan _heartbeatInterval = TimeSpan.FromSeconds(2);
    private volatile string _phase = "idle";
    private volatile bool _forgotten;

    public WorkerAgent(WorkerOptions options, LocalData data, ILogger<WorkerAgent> logger, GrpcChannelOptions? channelOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _data = data;
        _logger = logger;
        channelOptions ??= new GrpcChannelOptions { MaxReceiveMessageSize = 16 << 20, HttpHandler = GrpcHttpHandler.Create(), DisposeHttpClient = true };
        _channel = CoordinatorChannel.Open(options.Coordinators, channelOptions);
        _nodeChannels = new NodeChannels(options.Coordinator, channelOptions);
        _recordPrivacy = new RecordPrivacyLedger(options.StateDirectory is { } state ? Path.Combine(state, "record-privacy.json") : null);
        _reconnect = ReconnectPolicy.Create(options.ReconnectTimeout, (ex, delay) => LogRetrying(ex.Message, delay.TotalSeconds));
        _register = ReconnectPolicy.Create(
            options.ReconnectTimeout, (ex, delay) => LogRetrying(ex.Message, delay.TotalSeconds), ReconnectPolicy.IsRecoverable);
    }

    /// <summary>Rounds this worker has delivered an accepted update for.</summary>
    public int RoundsCompleted { get; private set; }

    /// <summary>Works until the coordinator says the run is over (or <paramref name="cancellationToken"/> fires).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await RegisterAsync(cancellationToken).ConfigureAwait(false);
            using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var heartbeats = HeartbeatLoopAsync(session.Token);
            try
            {
                if (await ServeAssignmentsAsync(cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (RpcException ex) when (ReconnectPolicy.IsRecoverable(ex) || ex.StatusCode == StatusCode.FailedPrecondition)
            {
                LogLostCoordinator(ex.StatusCode, ex.Status.Detail);
                if (!ReconnectPolicy.IsTransient(ex) && ex.StatusCode != StatusCode.FailedPrecondition)
                {
                    // It answered with an error: let it recover before asking again, rather than at once.
                    await Task.Delay(_heartbeatInterval, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                await session.CancelAsync().ConfigureAwait(false);
                await heartbeats.ConfigureAwait(false);
            }
        }
    }

    public void Dispose()
    {
        _trainer?.Dispose();
        _nodeChannels.Dispose();
        _channel.Dispose();
        _instrumentation.Dispose();
    }

    /// <summary>Returns true when the run is finished, false when the worker must register again.</summary>
    private async Task<bool> ServeAssignmentsAsync(CancellationToken cancellationToken)
    {
        while (!_forgotten)
        {
            var response = await _channel.UnaryAsync(
                CoordinatorMethods.GetAssignment,
                new AssignmentRequest { WorkerId = _options.WorkerId, RunId = _runId, WaitSeconds = (int)PollWait.TotalSeconds },
                new CallOptions(deadline: DateTime.UtcNow + PollWait + TimeSpan.FromSeconds(10), cancellationToken: cancellationToken)).ConfigureAwait(false);
            switch (response.OutcomeCase)
            {
                case AssignmentResponse.OutcomeOneofCase.Finished:
                    // The peak tells a data owner what the worker needed of this machine for the whole run.
                    using (var self = System.Diagnostics.Process.GetCurrentProcess())
                    {
                        LogRunFinished(response.Finished.RunId, response.Finished.Reason, self.PeakWorkingSet64 >> 20);
                    }

                    return true;
                case AssignmentResponse.OutcomeOneofCase.Assignment:
                {
                    var assignment = response.Assignment;
                    string key = string.Create(CultureInfo.InvariantCulture, $"train {assignment.RunId} {assignment.Round} {assignment.ModelVersion}");
                    await PaceAsync(key, assignment.Round, cancellationToken).ConfigureAwait(false);
                    _backoff.Record(key, await TryRunRoundAsync(assignment, cancellationToken).ConfigureAwait(false));
                    break;
                }

                case AssignmentResponse.OutcomeOneofCase.Evaluate:
                {
                    var evaluation = response.Evaluate;
                    string key = string.Create(CultureInfo.InvariantCulture, $"evaluate {evaluation.RunId} {evaluation.Round} {evaluation.ModelVersion}");
                    await PaceAsync(key, evaluation.Round, cancellationToken).ConfigureAwait(false);
                    _backoff.Record(key, await TryEvaluateAsync(evaluation, cancellationToken).ConfigureAwait(false));
                    break;
                }

                default:
                    break;
            }
        }

        return false;
    }

    /// <summary>
    /// Runs one round; a refusal or a missed deadline costs this round only, not the worker. Returns false when the
    /// assignment was given up, so that being handed it again waits (<see cref="PaceAsync"/>).
    /// </summary>
    private async Task<bool> TryRunRoundAsync(RoundAssignment assignment, CancellationToken cancellationToken)
    {
        using var span = WorkerActivities.StartAssignment(WorkerActivities.Round, assignment.TraceParent, _options.WorkerId, assignment.Round);
        try
        {
            await RunRoundAsync(assignment, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RpcException ex) when (!ReconnectPolicy.IsTransient(ex) && ex.StatusCode != StatusCode.Cancelled)
        {
            LogRoundAbandoned(assignment.Round, $"{ex.StatusCode}: {ex.Status.Detail}");
            Abandoned(span, ex.Status.ToString());
        }
        catch (PayloadException ex)
        {
            LogRoundAbandoned(assignment.Round, ex.Message);
            Abandoned(span, ex.Error.ToString());
        }
        catch (UntrustedModuleException ex)
        {
            LogModuleRefused(assignment.Round, ex.Message);
            Abandoned(span, "untrusted module");
            // Answered: each client fails with the reason, so the round neither waits for them nor hands them out again.
            foreach (string clientId in AssignedClients(assignment))
            {
                await ReportClientFailedAsync(assignment, clientId, ex.Reason, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogRoundAbandoned(assignment.Round, "the round's deadline passed");
            Abandoned(span, "deadline passed");
        }
        finally
        {
            _phase = "idle";
        }

        return false;
    }

    /// <summary>Waits before working again on an assignment this worker gave up, longer each time it comes back.</summary>
    private async Task PaceAsync(string key, long round, CancellationToken cancellationToken)
    {
        var delay = _backoff.DelayBefore(key);
        if (delay > TimeSpan.Zero)
        {
            LogPacing(round, _backoff.AbandonedCount(key), delay.TotalSeconds);
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Abandoned(Activity? span, string why)
    {
        _instrumentation.RoundAbandoned();
        span?.SetStatus(ActivityStatusCode.Error, why);
    }

    private async Task RunRoundAsync(RoundAssignment assignment, CancellationToken cancellationToken)
    {
        var spec = await ResolveModuleAsync(ModelMapping.ToSpec(assignment.Model), assignment.RunId, cancellationToken).ConfigureAwait(false);
        var config = ModelMapping.ToConfig(assignment.Training);
        var trainer = EnsureTrainer(spec);
        if (assignment.ParameterCount != trainer.ParameterCount)
        {
            throw new InvalidOperationException(
                $"The assignment's model has {assignment.ParameterCount} parameters; the local build of it has {trainer.ParameterCount}.");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(DateTimeOffset.FromUnixTimeMilliseconds(assignment.DeadlineUnixMs) - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5));
        LogRoundAssigned(assignment.Round, assignment.ModelVersion);

        _phase = "downloading";
        int count = checked((int)trainer.ParameterCount);
        EnsureBuffers(count);
        string sha256 = await DownloadAsync(assignment.RunId, assignment.Round, assignment.ModelVersion, count, deadline.Token, assignment.NodeEndpoint).ConfigureAwait(false);
        LogModelReceived(assignment.Round, assignment.ModelVersion, sha256);
        trainer.SetParameters(_global.AsSpan(0, count));

        int delivered = 0;
        foreach (string clientId in AssignedClients(assignment))
        {
            var client = _data.Clients.FirstOrDefault(c => c.ClientId == clientId)
                ?? throw new InvalidOperationException($"The coordinator assigned client {clientId}, which this worker does not hold.");
            if (await TrainClientAsync(assignment, client, trainer, config, count, deadline.Token).ConfigureAwait(false))
            {
                delivered++;
            }
        }

        _phase = "idle";
        if (delivered > 0)
        {
            RoundsCompleted++;
            _instrumentation.RoundCompleted();
        }
        else
        {
            // Every client failed (and said so): the assignment is answered, but no update of this worker counts.
            _instrumentation.RoundAbandoned();
        }
    }

    /// <summary>The clients a round assigns; a single-client worker gets the legacy, client-less assignment: its one client.</summary>
    private IReadOnlyList<string> AssignedClients(RoundAssignment assignment) =>
        assignment.Clients.Count > 0 ? assignment.Clients.ToList() : [_data.Clients[0].ClientId];

    /// <summary>
    /// Trains one client from the global model and delivers its update and metrics. Returns false when the client
    /// failed instead (it diverged, or the coordinator refused its report or update for good); the coordinator has
    /// then been told why, so the round does not wait for it and does not hand it out again.
    /// </summary>
    private async Task<bool> TrainClientAsync(
        RoundAssignment assignment, ClientData client, ILocalTrainer trainer, TrainingConfig config, int count, CancellationToken cancellationToken)
    {
        _phase = "training";
        trainer.SetParameters(_global.AsSpan(0, count));
        // q-FedAvg weighs clients by how badly the global model serves them; a sample of the training data suffices.
        double? globalLoss = assignment.MeasureGlobalLoss && client.Train.Count > 0
            ? trainer.Evaluate(client.Train.Take(GlobalLossSample), 256).MeanLoss
            : null;
        if (globalLoss is { } startLoss && !double.IsFinite(startLoss))
        {
            string figure = string.Create(CultureInfo.InvariantCulture, $"the global model's loss on this client is {startLoss}");
            LogDiverged(assignment.Round, client.ClientId, figure);
            await ReportClientFailedAsync(assignment, client.ClientId, Diverged + figure, cancellationToken).ConfigureAwait(false);
            return false;
        }

        // Each client shuffles differently within a round, and each round differently.
        var clientConfig = config with { Seed = config.Seed ^ Core.Data.SplitMix64.SeedFrom(client.ClientId) };
        TrainResult training;
        var trainSpan = WorkerActivities.StartChild(WorkerActivities.Train);
        trainSpan?.SetTag("fedtrain.client_id", client.ClientId);
        FaultInjection.Reached("worker-train", assignment.Round);
        try
        {
            training = await Task.Run(() => trainer.Train(client.Train, clientConfig, _options.DpSgd, cancellationToken), cancellationToken).ConfigureAwait(false);
            trainSpan?.SetTag("fedtrain.steps", training.Steps);
            _instrumentation.Trained(training.Seconds, training.Steps, client.Train.Count);
        }
        catch (TrainerException ex) when (ex.Code == TrainerErrorCode.NonFinite)
        {
            LogDiverged(assignment.Round, client.ClientId, ex.Message);
            trainSpan?.SetStatus(ActivityStatusCode.Error, "local training diverged");
            // Say so, so the round does not wait for this client until its deadline.
            await ReportClientFailedAsync(assignment, client.ClientId, Diverged + ex.Message, cancellationToken).ConfigureAwait(false);
            return false;
        }
        finally
        {
            trainSpan?.Dispose();
        }

        var holdout = client.Holdout.Count > 0 ? trainer.Evaluate(client.Holdout, 256) : null;
        var delta = _delta.AsSpan(0, count);
        trainer.GetParameters(delta);
        TensorPrimitives.Subtract(delta, _global.AsSpan(0, count), delta);
        // The last steps can leave the parameters NaN/Inf with a finite training loss (it is measured before each
        // step): a diverged client, which the round records as such, rather than figures or an update to refuse.
        if (NonFiniteOutcome(training, holdout, delta) is { } divergence)
        {
            LogDiverged(assignment.Round, client.ClientId, divergence);
            await ReportClientFailedAsync(assignment, client.ClientId, Diverged + divergence, cancellationToken).ConfigureAwait(false);
            return false;
        }

        _options.Attack?.Apply(delta, config.Seed ^ (ulong)assignment.Round);

        var metrics = new MetricsReport
        {
            WorkerId = _options.WorkerId,
            ClientId = client.ClientId,
            RunId = assignment.RunId,
            Round = assignment.Round,
            TrainLoss = training.MeanLoss,
            TrainAccuracy = training.Accuracy,
            HoldoutAccuracy = holdout?.Accuracy ?? 0,
            HoldoutLoss = holdout?.MeanLoss ?? 0,
            ExampleCount = client.Train.Count,
            Steps = training.Steps,
            StepSeconds = training.Steps == 0 ? 0 : training.Seconds / training.Steps,
            TrainSeconds = training.Seconds,
        };
        if (globalLoss is { } loss)
        {
            metrics.GlobalLoss = loss;
        }

        if (training.DpSgd is { } dp)
        {
            // The client's own accountant: every DP-SGD step it ever took composes, round after round, across restarts.
            metrics.RecordEpsilon = _recordPrivacy.Compose(client.ClientId, dp.SamplingRate, dp.NoiseMultiplier, dp.Steps, _options.DpSgdDelta);
            metrics.RecordDelta = _options.DpSgdDelta;
            // Training loss and accuracy are computed on the private records without noise: do not report them.
            metrics.TrainLoss = 0;
            metrics.TrainAccuracy = 0;
        }

        bool accepted;
        try
        {
            accepted = await DeliverAsync(assignment, client, trainer, metrics, count, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (IsRefusalOfClient(ex))
        {
            // The coordinator refused this client's report or update for what it holds, which no retry changes: the
            // client fails this round with the reason, and the worker goes on with its other clients.
            LogClientRefused(assignment.Round, client.ClientId, ex.StatusCode, ex.Status.Detail);
            await ReportClientFailedAsync(assignment, client.ClientId, $"refused: {ex.StatusCode}: {ex.Status.Detail}", cancellationToken).ConfigureAwait(false);
            return false;
        }

        LogClientDone(assignment.Round, client.ClientId, training.MeanLoss, training.Accuracy, holdout?.Accuracy ?? double.NaN, training.Seconds, accepted);
        return accepted;
    }

    /// <summary>Sends one trained client's metrics, then its update; returns whether the update was accepted.</summary>
    private async Task<bool> DeliverAsync(
        RoundAssignment assignment, ClientData client, ILocalTrainer trainer, MetricsReport metrics, int count, CancellationToken cancellationToken)
    {
        await _channel.UnaryAsync(
            CoordinatorMethods.ReportMetrics, metrics, new CallOptions(WorkerActivities.TraceHeaders(), DateTime.UtcNow.AddSeconds(30), cancellationToken))
            .ConfigureAwait(false);

        _phase = "uploading";
        // Encoded once, before any attempt: a retried upload re-sends the same bytes.
        var encoding = ModelMapping.ToEncoding(assignment.Training);
        // The checksum the coordinator checks: XXH3-128 where it says so, SHA-256 for one that predates it.
        var checksum = assignment.UploadChecksum;
        var payload = encoding == Core.Compression.UpdateEncoding.Float32
            ? PayloadCodec.CreateHeader(_delta, count, _options.ChunkBytes, trainer.Manifest, checksum)
            : _compressor.Encode(
                assignment.RunId, client.ClientId, encoding, ModelMapping.ToTopKKeptPerBlock(assignment.Training, count), _delta.AsSpan(0, count), _options.ChunkBytes, trainer.Manifest,
                checksum);
        UploadAck ack;
        try
        {
            ack = await _reconnect.ExecuteAsync(
                async token => await UploadAsync(assignment, client, payload, count, token).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists)
        {
            // A retry after a lost acknowledgement: the first upload landed and was counted once; nothing to redo.
            LogAlreadyDelivered(assignment.Round, client.ClientId);
            ack = new UploadAck { Accepted = true };
        }

        if (ack.Accepted && encoding != Core.Compression.UpdateEncoding.Float32)
        {
            _compressor.Delivered(client.ClientId);
        }

        return ack.Accepted;
    }

    /// <summary>Scores the round's new global model on each assigned client's held-out data; false when given up.</summary>
    private async Task<bool> TryEvaluateAsync(EvaluationAssignment assignment, CancellationToken cancellationToken)
    {
        using var span = WorkerActivities.StartAssignment(WorkerActivities.Evaluate, assignment.TraceParent, _options.WorkerId, assignment.Round);
        try
        {
            var spec = await ResolveModuleAsync(ModelMapping.ToSpec(assignment.Model), assignment.RunId, cancellationToken).ConfigureAwait(false);
            var trainer = EnsureTrainer(spec);
            int count = checked((int)trainer.ParameterCount);
            if (assignment.ParameterCount != count)
            {
                throw new InvalidOperationException(
                    $"The evaluation's model has {assignment.ParameterCount} parameters; the local build of it has {count}.");
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(DateTimeOffset.FromUnixTimeMilliseconds(assignment.DeadlineUnixMs) - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5));
            _phase = "evaluating";
            EnsureBuffers(count);
            await DownloadAsync(assignment.RunId, assignment.Round, assignment.ModelVersion, count, deadline.Token).ConfigureAwait(false);
            FaultInjection.Reached("worker-evaluate", assignment.Round);
            trainer.SetParameters(_global.AsSpan(0, count));
            var report = new EvaluationReport
            {
                WorkerId = _options.WorkerId,
                RunId = assignment.RunId,
                Round = assignment.Round,
                ModelVersion = assignment.ModelVersion,
            };
            foreach (string clientId in assignment.Clients)
            {
                var client = _data.Clients.FirstOrDefault(c => c.ClientId == clientId);
                var score = client is { Holdout.Count: > 0 } ? trainer.Evaluate(client.Holdout, 256) : null;
                var evaluation = new ClientEvaluation
                {
                    ClientId = clientId,
                    Accuracy = score?.Accuracy ?? 0,
                    Loss = score?.MeanLoss ?? 0,
                    ExampleCount = score?.Examples ?? 0,
                };
                if (score is not null && (!double.IsFinite(score.MeanLoss) || !double.IsFinite(score.Accuracy)))
                {
                    // The global model diverges on this client: a result to report as such, not figures to be refused.
                    evaluation = new ClientEvaluation
                    {
                        ClientId = clientId,
                        Failure = string.Create(CultureInfo.InvariantCulture, $"{Diverged}held-out loss {score.MeanLoss}, accuracy {score.Accuracy}"),
                    };
                    LogDiverged(assignment.Round, clientId, evaluation.Failure);
                }

                report.Clients.Add(evaluation);
            }

            await _channel.UnaryAsync(
                CoordinatorMethods.ReportEvaluation, report, new CallOptions(WorkerActivities.TraceHeaders(), DateTime.UtcNow.AddSeconds(30), deadline.Token))
                .ConfigureAwait(false);
            return true;
        }
        catch (RpcException ex) when (!ReconnectPolicy.IsTransient(ex) && ex.StatusCode != StatusCode.Cancelled)
        {
            LogEvaluationAbandoned(assignment.Round, $"{ex.StatusCode}: {ex.Status.Detail}");
        }
        catch (PayloadException ex)
        {
            LogEvaluationAbandoned(assignment.Round, ex.Message);
        }
        catch (UntrustedModuleException ex)
        {
            LogModuleRefused(assignment.Round, ex.Message);
            var report = new EvaluationReport
            {
                WorkerId = _options.WorkerId,
                RunId = assignment.RunId,
                Round = assignment.Round,
                ModelVersion = assignment.ModelVersion,
            };
            report.Clients.AddRange(assignment.Clients.Select(c => new ClientEvaluation { ClientId = c, Failure = ex.Reason }));
            await _channel.UnaryAsync(
                CoordinatorMethods.ReportEvaluation, report, new CallOptions(WorkerActivities.TraceHeaders(), DateTime.UtcNow.AddSeconds(30), cancellationToken))
                .ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogEvaluationAbandoned(assignment.Round, "the evaluation's deadline passed");
        }
        finally
        {
            _phase = "idle";
        }

        return false;
    }

    /// <summary>
    /// Downloads a model into <c>_global</c>, from the cluster node the assignment names if any (else, or when that node
    /// cannot serve it, from the coordinator); returns the SHA-256 (hex) it was verified against.
    /// </summary>
    private async Task<string> DownloadAsync(string runId, long round, long modelVersion, int count, CancellationToken cancellationToken, string nodeEndpoint = "")
    {
        var request = new DownloadRequest
        {
            WorkerId = _options.WorkerId,
            RunId = runId,
            Round = round,
            ModelVersion = modelVersion,
        };
        if (_nodeChannels.For(nodeEndpoint, out _) is { } node)
        {
            try
            {
                return await DownloadFromAsync(node, request, count, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (ReconnectPolicy.IsTransient(ex) || ex.StatusCode == StatusCode.FailedPrecondition)
            {
                // The node is gone, or holds no copy of this model (the initial model lives with the coordinator alone):
                // the coordinator serves the same bytes, checked against the same digest.
                LogNodeDownloadFellBack(round, nodeEndpoint, ex.Status.Detail);
            }
        }

        return await DownloadFromAsync(_channel, request, count, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> DownloadFromAsync(GrpcChannel channel, DownloadRequest request, int count, CancellationToken cancellationToken)
    {
        long round = request.Round;
        PayloadAssembler? assembler = null;
        using var span = WorkerActivities.StartChild(WorkerActivities.Download, ActivityKind.Client);
        string sha256 = string.Empty;
        try
        {
            // Each chunk arrives parsed in place with its data in a pooled buffer (ReceivedChunk), copied from there
            // straight into the model: no managed allocation per chunk.
            await foreach (var received in channel.ServerStreamingAsync(
                CoordinatorMethods.ReceiveModel, request, new CallOptions(headers: WorkerActivities.TraceHeaders(), cancellationToken: cancellationToken)).ConfigureAwait(false))
            {
                using var chunk = received;
                if (chunk.Content == ChunkContent.Header)
                {
                    if (assembler is not null)
                    {
                        throw new PayloadException(PayloadError.BadHeader, "The model stream carried a second header.");
                    }

                    assembler = new PayloadAssembler(chunk.Header!, _global, (long)count * sizeof(float));
                    sha256 = Convert.ToHexStringLower(chunk.Header!.Sha256.Span);
                    FaultInjection.Reached("worker-download", round);
                }
                else
                {
                    (assembler ?? throw new PayloadException(PayloadError.BadHeader, "The model stream did not start with a header."))
                        .Append(chunk.Data);
                }
            }

            (assembler ?? throw new PayloadException(PayloadError.Truncated, "The model stream was empty.")).Complete();
            _instrumentation.Downloaded((long)count * sizeof(float));
            return sha256;
        }
        finally
        {
            assembler?.Dispose();
        }
    }

    private async Task<UploadAck> UploadAsync(
        RoundAssignment assignment, ClientData client, PayloadHeader payload, int count, CancellationToken cancellationToken)
    {
        var header = new UploadHeader
        {
            WorkerId = _options.WorkerId,
            RunId = assignment.RunId,
            Round = assignment.Round,
            ModelVersion = assignment.ModelVersion,
            ClientId = client.ClientId == _options.WorkerId ? string.Empty : client.ClientId,
            ExampleCount = client.Train.Count,
            Payload = payload,
        };
        using var span = WorkerActivities.StartChild(WorkerActivities.Upload, ActivityKind.Client);
        span?.SetTag("fedtrain.client_id", client.ClientId);
        var node = _nodeChannels.For(assignment.NodeEndpoint, out string? refusal);
        if (refusal is not null)
        {
            LogNodeEndpointRefused(assignment.NodeEndpoint, refusal);
        }
        else if (node is not null)
        {
            LogUploadingToNode(assignment.Round, client.ClientId, assignment.NodeEndpoint);
        }

        UploadAck ack;
        try
        {
            ack = await (node ?? _channel).ClientStreamingAsync(
                CoordinatorMethods.UploadUpdate, Chunks(header, count), new CallOptions(headers: WorkerActivities.TraceHeaders(), cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (RpcException ex) when (node is not null && ReconnectPolicy.IsTransient(ex))
        {
            // The node named for uploads is gone (or not up yet): the coordinator itself takes the same update, so
            // this attempt goes there rather than waiting for the node.
            LogNodeEndpointUnreachable(assignment.NodeEndpoint, ex.Status.Detail);
            ack = await _channel.ClientStreamingAsync(
                CoordinatorMethods.UploadUpdate, Chunks(header, count), new CallOptions(headers: WorkerActivities.TraceHeaders(), cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        _instrumentation.Uploaded(payload.TotalBytes);
        return ack;
    }

    private async IAsyncEnumerable<UpdateChunk> Chunks(UploadHeader header, int count)
    {
        yield return new UpdateChunk { Header = header };
        var chunks = header.Payload.Encoding == PayloadEncoding.Float32
            ? PayloadCodec.Chunks(_delta, count, _options.ChunkBytes)
            : _compressor.Chunks(_options.ChunkBytes);
        foreach (var data in chunks)
        {
            yield return new UpdateChunk { Data = data };
        }

        // Dies before the stream's end is sent, so the coordinator holds a stream that never completes.
        FaultInjection.Reached("worker-upload", header.Round);

        await Task.CompletedTask.ConfigureAwait(false);
    }

    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        var request = new RegisterRequest
        {
            WorkerId = _options.WorkerId,
            Data = Summary(_data.Clients.Select(c => c.Train).ToArray(), _data.HoldoutExamples),
            Capabilities = new Capabilities
            {
                Device = _options.Device,
                Threads = _options.Threads,
                MemoryBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
            },
            Version = typeof(WorkerAgent).Assembly.GetName().Version?.ToString() ?? "0",
        };
        if (_data.Clients is not [{ } single] || single.ClientId != _options.WorkerId)
        {
            request.Clients.AddRange(_data.Clients.Select(c => new Protos.V1.ClientData
            {
                ClientId = c.ClientId,
                Data = Summary([c.Train], c.Holdout.Count),
            }));
        }

        var response = await _register.ExecuteAsync(
            async token => await _channel.UnaryAsync(
                CoordinatorMethods.Register, request, new CallOptions(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(10), cancellationToken: token)).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        _runId = response.RunId;
        _heartbeatInterval = TimeSpan.FromSeconds(Math.Max(1, response.HeartbeatIntervalSeconds));
        _forgotten = false;
        LogRegistered(_options.WorkerId, response.RunId, _data.Clients.Count, _data.TrainExamples, _data.HoldoutExamples);
    }

    private TimeSpan HeartbeatTimeout => TimeSpan.FromSeconds(Math.Max(5, 2 * _heartbeatInterval.TotalSeconds));

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_heartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    var response = await _channel.UnaryAsync(
                        CoordinatorMethods.Heartbeat,
                        new HeartbeatRequest { WorkerId = _options.WorkerId, RunId = _runId, Phase = _phase },
                        // Not the interval itself: on a loaded host a call can take longer, and a heartbeat that times out
                        // before the coordinator reads it lets a healthy worker look silent.
                        new CallOptions(deadline: DateTime.UtcNow + HeartbeatTimeout, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    if (!response.Known)
                    {
                        _forgotten = true;
                    }
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
                {
                    // The session ended with a heartbeat in flight (e.g. the coordinator was lost): that ends this
                    // loop, not the worker. Thrown on, it surfaced from RunAsync's finally and killed the process.
                    return;
                }
                catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled)
                {
                    // The assignment loop notices a lost coordinator and reconnects; heartbeats just keep trying.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static DataSummary Summary(Core.Data.ImageDataset[] train, int holdout)
    {
        var summary = new DataSummary { ExampleCount = train.Sum(t => t.Count), HoldoutCount = holdout };
        var histogram = new long[train[0].Classes];
        foreach (var set in train)
        {
            var own = set.LabelHistogram();
            for (int c = 0; c < histogram.Length; c++)
            {
                histogram[c] += own[c];
            }
        }

        summary.LabelHistogram.AddRange(histogram);
        return summary;
    }

    private ILocalTrainer EnsureTrainer(Core.Models.ModelSpec spec)
    {
        if (_trainer is null || _trainerSpec != spec)
        {
            _trainer?.Dispose();
            var native = NativeTrainer.Create(spec, new TrainerOptions(_options.Device, _options.Threads, 1));
            _trainer = _options.FixedDeltaTraining ? new FixedDeltaTrainer(native) : native;
            _trainerSpec = spec;
        }

        return _trainer;
    }

    private void EnsureBuffers(int count)
    {
        // Model-sized buffers live across rounds: fresh pages cost more than the work done on them.
        if (_global.Length < count)
        {
            _global = new float[count];
            _delta = new float[count];
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Worker {WorkerId} registered for run {RunId} with {Clients} clients, {Train} training and {Holdout} held-out examples")]
    private partial void LogRegistered(string workerId, string runId, int clients, int train, int holdout);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Round {Round}: training from model version {Version}")]
    private partial void LogRoundAssigned(long round, long version);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Round {Round}, {ClientId}: train loss {Loss:F4}, train accuracy {Accuracy:F4}, holdout accuracy {Holdout:F4}, {Seconds:F1} s training, accepted {Accepted}")]
    private partial void LogClientDone(long round, string clientId, double loss, double accuracy, double holdout, double seconds, bool accepted);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Lost the coordinator ({Status}: {Detail}); reconnecting")]
    private partial void LogLostCoordinator(StatusCode status, string detail);

    [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "Coordinator unreachable ({Reason}); retrying in {Seconds:F1} s")]
    private partial void LogRetrying(string reason, double seconds);

    [LoggerMessage(EventId = 305, Level = LogLevel.Information, Message = "Run {RunId} finished: {Reason}; this worker's peak resident set was {PeakMiB} MiB")]
    private partial void LogRunFinished(string runId, string reason, long peakMiB);

    [LoggerMessage(EventId = 308, Level = LogLevel.Warning, Message = "Evaluation of round {Round} abandoned: {Reason}")]
    private partial void LogEvaluationAbandoned(long round, string reason);

    [LoggerMessage(EventId = 307, Level = LogLevel.Warning, Message = "Round {Round} abandoned: {Reason}")]
    private partial void LogRoundAbandoned(long round, string reason);

    [LoggerMessage(EventId = 309, Level = LogLevel.Information, Message = "Round {Round}: received model version {Version}, sha256 {Sha256}")]
    private partial void LogModelReceived(long round, long version, string sha256);

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Round {Round}, {ClientId}: the coordinator already holds this update (an earlier attempt landed)")]
    private partial void LogAlreadyDelivered(long round, string clientId);

    [LoggerMessage(EventId = 306, Level = LogLevel.Warning, Message = "Round {Round}, {ClientId}: diverged, reported as failed: {Message}")]
    private partial void LogDiverged(long round, string clientId, string message);

    [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "Round {Round}, {ClientId}: the coordinator refused this client's report or update ({Status}: {Detail}); reported as failed")]
    private partial void LogClientRefused(long round, string clientId, StatusCode status, string detail);

    [LoggerMessage(EventId = 313, Level = LogLevel.Error, Message = "Round {Round}: {Reason}")]
    private partial void LogModuleRefused(long round, string reason);

    [LoggerMessage(EventId = 312, Level = LogLevel.Warning, Message = "Round {Round}: handed again the assignment given up {Count} times; waiting {Seconds:F1} s first")]
    private partial void LogPacing(long round, int count, double seconds);

    [LoggerMessage(EventId = 314, Level = LogLevel.Warning, Message = "Node {Endpoint} not used ({Reason}); uploading to the coordinator")]
    private partial void LogNodeEndpointRefused(string endpoint, string reason);

    [LoggerMessage(EventId = 316, Level = LogLevel.Information, Message = "Round {Round}, {ClientId}: uploading to node {Endpoint}, which receives uploads for the coordinator")]
    private partial void LogUploadingToNode(long round, string clientId, string endpoint);

    [LoggerMessage(EventId = 317, Level = LogLevel.Information, Message = "Round {Round}: node {Endpoint} did not serve the model ({Detail}); downloading it from the coordinator")]
    private partial void LogNodeDownloadFellBack(long round, string endpoint, string detail);

    [LoggerMessage(EventId = 315, Level = LogLevel.Information, Message = "Node {Endpoint} unreachable ({Detail}); uploading to the coordinator instead")]
    private partial void LogNodeEndpointUnreachable(string endpoint, string detail);
}
