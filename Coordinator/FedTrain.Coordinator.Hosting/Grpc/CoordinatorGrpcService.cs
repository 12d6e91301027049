using System.Diagnostics;
using FedTrain.Coordinator.Evaluation;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Security;
using FedTrain.Coordinator.Storage;
using FedTrain.Core.Compression;
using FedTrain.Core.Faults;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.Protos.Wire;
using Grpc.Core;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// The <c>fedtrain.v1.Coordinator</c> service: the gRPC edge between workers and the round loop. Every refusal
/// carries a status and a reason, and is logged; nothing a worker sends can break the round for the others.
/// </summary>
public sealed partial class CoordinatorGrpcService
{
    private static readonly TimeSpan MaxAssignmentWait = TimeSpan.FromSeconds(30);

    private readonly CoordinatorOptions _options;
    private readonly RoundOrchestrator _orchestrator;
    private readonly WorkerRegistry _registry;
    private readonly ICoordinatorStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HashSet<string> _uploadsInFlight = new(StringComparer.Ordinal);
    private readonly ModelDownloads _downloads;

    public CoordinatorGrpcService(
        CoordinatorOptions options,
        RoundOrchestrator orchestrator,
        WorkerRegistry registry,
        ICoordinatorStore store,
        TimeProvider time,
        ILogger<CoordinatorGrpcService> logger)
    {
        _options = options;
        _orchestrator = orchestrator;
        _registry = registry;
        _store = store;
        _time = time;
        _logger = logger;
        _downloads = new ModelDownloads(orchestrator.Manifest, options.ChunkBytes);
    }

    /// <summary>
    /// Cancelled when the coordinator begins to stop: a long poll then ends UNAVAILABLE at once (workers retry it as
    /// any outage) instead of holding the web host's stop until its wait runs out.
    /// </summary>
    internal CancellationToken Stopping { get; set; }

    /// <summary>Raised when an update is refused: worker, round, reason.</summary>
    public event Action<string, long, string>? UpdateRejected;

    /// <summary>Raised when an update is refused, with the kind of refusal (for metrics).</summary>
    public event Action<RejectionKind>? UpdateRefused;

    /// <summary>Raised when a model download has been sent in full: payload bytes.</summary>
    public event Action<long>? ModelSent;

    /// <summary>Raised when an update was folded into the aggregate: payload bytes and the time folding took.</summary>
    public event Action<long, TimeSpan>? UpdateFolded;

    internal async Task<RegisterResponse> RegisterAsync(RegisterRequest request, ServerCallContext context)
    {
        string workerId = WorkerIdentity.Require(request.WorkerId);
        CallerAuthorization.RequireWorker(context, workerId);
        // Everything is checked before any state changes, so a refused registration leaves the registry and the
        // database exactly as they were.
        int named = Math.Max(1, request.Clients.Count);
        int cap = _options.Security.Limits.MaxClientsPerWorker;
        if (named > cap)
        {
            string reason = $"a worker may register at most {cap} clients (security.limits.max_clients_per_worker); this registration names {named}.";
            LogClientsRefused(workerId, reason);
            throw new RpcException(new Status(StatusCode.PermissionDenied, "Registration refused: " + reason));
        }

        var clients = request.Clients.Count == 0
            ? [ToClient(workerId, workerId, request.Data, "data")]
            : request.Clients.Select((c, i) => ToClient(WorkerIdentity.Require(c.ClientId), workerId, c.Data, $"clients[{i}].data")).ToList();
        if (clients.Select(c => c.ClientId).Distinct(StringComparer.Ordinal).Count() != clients.Count)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "Client ids must be unique."));
        }

        RequireSummable(clients);
        if (await ClientBinding.GrantOfAsync(context, _store).ConfigureAwait(false) is { } grant && grant.Refusal(clients.Select(c => c.ClientId).ToList()) is { } refusal)
        {
            LogClientsRefused(workerId, refusal);
            throw new RpcException(new Status(StatusCode.PermissionDenied, "Registration refused: " + refusal));
        }

        string device = WorkerText.Clean(request.Capabilities?.Device, WorkerText.MaxDeviceLength);
        var info = new WorkerInfo(workerId, clients, device.Length == 0 ? "cpu" : device);
        WorkerInfo? previous;
        try
        {
            previous = _registry.Replace(info);
        }
        catch (InvalidOperationException ex)
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, ex.Message));
        }

        try
        {
            await _store.UpsertWorkerAsync(info, _time.GetUtcNow(), context.CancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // All or nothing: a registration the database did not take is not kept in memory either.
            _registry.Restore(info, previous);
            throw;
        }

        LogRegistered(workerId, previous is null ? "registered" : "re-registered", clients.Count, info.ExampleCount, info.Device);
        return new RegisterResponse
        {
            RunId = _orchestrator.RunId,
            HeartbeatIntervalSeconds = (int)Math.Max(1, _options.HeartbeatInterval.TotalSeconds),
            MaxMessageBytes = _options.MaxMessageBytes,
        };
    }

    internal async Task<AssignmentResponse> GetAssignmentAsync(AssignmentRequest request, ServerCallContext context)
    {
        string workerId = RequireKnownWorker(request.WorkerId, context);
        var wait = TimeSpan.FromSeconds(Math.Clamp(request.WaitSeconds, 0, (int)MaxAssignmentWait.TotalSeconds));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, Stopping);
        timeout.CancelAfter(wait);
        while (true)
        {
            var changed = _orchestrator.WhenChanged();
            if (_orchestrator.IsFinished)
            {
                return new AssignmentResponse
                {
                    Finished = new RunFinished { RunId = _orchestrator.RunId, Reason = _orchestrator.FinishReason ?? "finished" },
                };
            }

            var round = _orchestrator.CurrentRound;
            if (round?.PendingClientsOf(workerId) is { Count: > 0 } clients)
            {
                return new AssignmentResponse { Assignment = ToAssignment(round, workerId, clients) };
            }

            var evaluation = _orchestrator.CurrentEvaluation;
            if (evaluation?.PendingClientsOf(workerId) is { Count: > 0 } evaluators)
            {
                return new AssignmentResponse { Evaluate = ToEvaluation(evaluation, evaluators) };
            }

            try
            {
                await changed.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
            {
                if (Stopping.IsCancellationRequested)
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, "The coordinator is stopping."));
                }

                return new AssignmentResponse { None = new NoAssignment { Reason = "no round needs this worker yet" } };
            }

            _registry.Touch(workerId);
        }
    }

    internal async Task DownloadModelAsync(DownloadRequest request, IServerStreamWriter<ModelChunk> writer, ServerCallContext context)
    {
        string workerId = RequireKnownWorker(request.WorkerId, context);
        var download = _downloads.For(ModelFor(request, workerId));
        await download.SendAsync(writer, request.Round, context.CancellationToken).ConfigureAwait(false);

        ModelSent?.Invoke(download.PayloadBytes);
    }

    internal async Task<UploadAck> UploadUpdateAsync(IAsyncStreamReader<ReceivedChunk<UploadHeader>> chunks, ServerCallContext context)
    {
        string workerId = "?";
        string clientId = "?";
        long roundNumber = 0;
        RoundState? round = null;
        try
        {
            // Chunks are parsed in place from the transport's buffers and only their data is copied, once, into a pooled
            // buffer (ReceivedChunk), so the coordinator's memory does not grow with the uploads in flight.
            var token = context.CancellationToken;
            var limit = new UploadStreamLimit(_options.Security.Limits.MaxStreamBytes);
            var header = await UploadStream.ReadHeaderAsync(chunks, limit, token).ConfigureAwait(false);

            workerId = RequireKnownWorker(header.WorkerId, context);
            clientId = RequireOwnClient(workerId, header.ClientId);
            roundNumber = header.Round;
            // Known before validation, so that an unusable header still ends this worker's part in the round.
            round = _orchestrator.CurrentRound is { } open && open.Round == header.Round ? open : null;
            round = ValidateHeader(header, workerId, clientId);
            // One upload per client at a time, decided at the header: a second stream for the same client would only
            // race the first for the same spool file and round slot, so it is refused before any file exists for it.
            using var inFlight = UploadSlot.TryTake(_uploadsInFlight, clientId)
                ?? throw UploadInFlight(workerId, clientId, roundNumber);
            // Example counts are claims: above max_examples_per_client a client's update weighs as that many.
            long weight = Math.Min(header.ExampleCount, _options.Security.Limits.MaxExamplesPerClient);
            // Chunks go from the network buffers straight to this upload's spool file, checked one by one; the
            // aggregate sees the update only once all of it is verified, so a refused or cut upload leaves no trace.
            var spool = _orchestrator.UpdateSpool;
            using (var upload = spool.Begin(round.Round, clientId))
            {
                using (var writer = new PayloadFileWriter(header.Payload, upload.File, round.EncodedUpdateBytes))
                {
                    await UploadStream.ReceiveAsync(chunks, limit, writer, roundNumber, token).ConfigureAwait(false);
                }

                // Before the round's lock, so that concurrent uploads' fsyncs overlap.
                spool.Flush(upload);
                long folding = Stopwatch.GetTimestamp();
                var recorded = round.AcceptUpload(
                    workerId, clientId, spool, upload, weight,
                    ex => LogNotDurable(clientId, roundNumber, ex.Message));
                UpdateFolded?.Invoke(round.EncodedUpdateBytes, Stopwatch.GetElapsedTime(folding));
                await recorded.ConfigureAwait(false);
            }

            LogAccepted(clientId, workerId, roundNumber, weight);
            return new UploadAck { Accepted = true };
        }
        catch (PayloadException ex)
        {
            throw Reject(workerId, clientId, roundNumber, round, new UpdateRejectedException(RejectionStatus.For(ex.Error), ex.Message));
        }
        catch (UpdateRejectedException ex)
        {
            throw Reject(workerId, clientId, roundNumber, round, ex);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
        {
            // The transport refused a chunk above the message size limit before buffering it, or the stream passed
            // max_stream_bytes.
            throw Reject(workerId, clientId, roundNumber, round, new UpdateRejectedException(RejectionKind.TooLarge, ex.Status.Detail));
        }
    }

    internal Task<MetricsAck> ReportMetricsAsync(MetricsReport request, ServerCallContext context)
    {
        string workerId = RequireKnownWorker(request.WorkerId, context);
        string clientId = RequireOwnClient(workerId, request.ClientId);
        if (request.Failure.Length > 0)
        {
            FailClient(workerId, clientId, request.Round, "worker reported: " + WorkerText.Clean(request.Failure, WorkerText.MaxReasonLength), RoundState.IsDivergence(request.Failure));
            return Task.FromResult(new MetricsAck());
        }

        if (request.ExampleCount < 0 || request.Steps < 0 || !double.IsFinite(request.StepSeconds) || !double.IsFinite(request.TrainSeconds)
            || (request.HasGlobalLoss && request.GlobalLoss < 0))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "Counts, times and global_loss must be finite and non-negative."));
        }

        if (NonFiniteFigure(request) is { } figure)
        {
            // Local training or the held-out score went NaN/Inf, typically because the global model it started from
            // was poisoned or swamped by noise: the client diverged. That is a result the round records (the client
            // failed, with the reason), not a malformed call; refusing it left the client pending, so its worker was
            // handed the same assignment again at once, in a loop.
            FailClient(workerId, clientId, request.Round, RoundState.DivergedPrefix + figure, diverged: true);
            return Task.FromResult(new MetricsAck());
        }

        var round = _orchestrator.CurrentRound;
        if (round is not null && round.Round == request.Round && OwnsClient(workerId, clientId))
        {
            round.RecordMetrics(clientId, new WorkerMetrics(
                request.TrainLoss, request.TrainAccuracy, request.HoldoutAccuracy, request.HoldoutLoss,
                request.ExampleCount, request.Steps, request.StepSeconds, request.TrainSeconds)
            {
                GlobalLoss = request.HasGlobalLoss ? request.GlobalLoss : null,
                RecordEpsilon = request.HasRecordEpsilon && double.IsFinite(request.RecordEpsilon) ? request.RecordEpsilon : null,
            });
        }

        return Task.FromResult(new MetricsAck());
    }

    /// <summary>Ends <paramref name="clientId"/>'s part in the open round as failed, if the round and the client match.</summary>
    private void FailClient(string workerId, string clientId, long roundNumber, string reason, bool diverged)
    {
        if (_orchestrator.CurrentRound is { } open && open.Round == roundNumber && OwnsClient(workerId, clientId))
        {
            LogClientFailed(clientId, workerId, roundNumber, reason);
            open.Fail(clientId, reason, diverged);
        }
    }

    /// <summary>The first of the report's model figures that is NaN or infinite, named with its value; null when all are finite.</summary>
    private static string? NonFiniteFigure(MetricsReport request)
    {
        (string Name, double Value)[] figures =
        [
            ("train_loss", request.TrainLoss), ("train_accuracy", request.TrainAccuracy),
            ("holdout_loss", request.HoldoutLoss), ("holdout_accuracy", request.HoldoutAccuracy),
            ("global_loss", request.HasGlobalLoss ? request.GlobalLoss : 0),
        ];
        return figures.FirstOrDefault(f => !double.IsFinite(f.Value)) is { Name: not null } bad
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bad.Name} is {bad.Value}")
            : null;
    }

    internal Task<EvaluationAck> ReportEvaluationAsync(EvaluationReport request, ServerCallContext context)
    {
        string workerId = RequireKnownWorker(request.WorkerId, context);
        var evaluation = _orchestrator.CurrentEvaluation;
        if (evaluation is null || evaluation.Round != request.Round || evaluation.Model.Version != request.ModelVersion || request.RunId != evaluation.RunId)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"No evaluation of round {request.Round}, model version {request.ModelVersion} is open."));
        }

        foreach (var client in request.Clients)
        {
            RequireOwnClient(workerId, client.ClientId);
            try
            {
                // A global model whose held-out loss on a client is NaN/Inf diverged there: recorded as that client's
                // failure (left out of the fairness figures), not refused, which would have the worker ask again.
                string? failure = client.Failure.Length > 0 ? "worker reported: " + WorkerText.Clean(client.Failure, WorkerText.MaxReasonLength)
                    : double.IsNaN(client.Loss) || double.IsInfinity(client.Loss)
                        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"diverged: held-out loss is {client.Loss}")
                        : null;
                if (failure is not null)
                {
                    evaluation.RecordFailure(workerId, client.ClientId);
                    LogEvaluationFailed(client.ClientId, workerId, request.Round, failure);
                }
                else
                {
                    evaluation.Record(workerId, client.ClientId, client.Accuracy, client.Loss, client.ExampleCount);
                }
            }
            catch (ArgumentException ex)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
            }
            catch (InvalidOperationException ex)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
            }
        }

        return Task.FromResult(new EvaluationAck());
    }

    /// <summary>
    /// The run's data contract: what a worker checks its data against before it registers. The same model spec every
    /// assignment carries, with the run's class names, feature names and image normalisation; nothing about other workers.
    /// </summary>
    internal Task<RunSpec> GetRunSpecAsync(RunSpecRequest request, ServerCallContext context)
    {
        string workerId = WorkerIdentity.Require(request.WorkerId);
        CallerAuthorization.RequireWorker(context, workerId);
        var model = ProtoMapping.ToProto(_options.Model);
        model.ClassNames.AddRange(_options.ClassNames ?? []);
        model.FeatureNames.AddRange(_options.FeatureNames ?? []);
        var spec = new RunSpec { RunId = _orchestrator.RunId, Model = model };
        if (_options.ImageNormalization is { } normalization)
        {
            spec.NormalizeMean.AddRange(normalization.Mean);
            spec.NormalizeStd.AddRange(normalization.StdDev);
        }

        return Task.FromResult(spec);
    }

    internal Task<HeartbeatResponse> HeartbeatAsync(HeartbeatRequest request, ServerCallContext context)
    {
        string workerId = WorkerIdentity.Require(request.WorkerId);
        CallerAuthorization.RequireWorker(context, workerId);
        return Task.FromResult(new HeartbeatResponse { Known = _registry.Touch(workerId) });
    }

    private RoundState ValidateHeader(UploadHeader header, string workerId, string clientId)
    {
        var round = _orchestrator.CurrentRound;
        if (header.RunId != _orchestrator.RunId)
        {
            throw new UpdateRejectedException(
                RejectionKind.WrongRun, $"Update is for run '{WorkerText.Clean(header.RunId, WorkerText.MaxQuotedIdLength)}', this is run '{_orchestrator.RunId}'.");
        }

        if (round is null || round.Round != header.Round)
        {
            throw new UpdateRejectedException(
                RejectionKind.StaleModel, $"Update is for round {header.Round}, but round {round?.Round.ToString() ?? "(none)"} is open.");
        }

        if (header.ModelVersion != round.Model.Version)
        {
            throw new UpdateRejectedException(
                RejectionKind.StaleModel, $"Update was trained from model version {header.ModelVersion}; the round trains version {round.Model.Version}.");
        }

        round.EnsureCanAccept(workerId, clientId);
        ExampleCountCheck.Require(
            header.ExampleCount, _registry.Find(workerId)?.Clients.FirstOrDefault(c => c.ClientId == clientId)?.ExampleCount ?? 0, clientId);
        UploadPayloadCheck.Require(header.Payload, round.Model.ParameterCount, round.Encoding, round.TopKFraction, _orchestrator.Manifest);
        return round;
    }

    private RpcException UploadInFlight(string workerId, string clientId, long round)
    {
        string reason = $"an upload for client {clientId} is already in flight; this one is refused.";
        LogUploadInFlight(clientId, workerId, round);
        return new RpcException(new Status(StatusCode.Aborted, "Upload refused: " + reason));
    }

    private RpcException Reject(string workerId, string clientId, long round, RoundState? state, UpdateRejectedException rejection)
    {
        LogRejected(clientId, workerId, round, rejection.Kind, rejection.Message);
        if (state is not null && RejectionStatus.FailsParticipant(rejection.Kind)
            && OwnsClient(workerId, clientId))
        {
            state.Fail(clientId, $"update rejected: {rejection.Message}");
        }

        UpdateRejected?.Invoke(clientId, round, rejection.Message);
        UpdateRefused?.Invoke(rejection.Kind);
        return new RpcException(new Status(RejectionStatus.For(rejection.Kind), rejection.Message));
    }

    /// <summary>
    /// The client a call names (empty: the worker's own), which must be one the worker registered, so one worker can
    /// never report, fail or upload for another's client.
    /// </summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT for a malformed id, PERMISSION_DENIED for a client of another worker.</exception>
    private string RequireOwnClient(string workerId, string clientId)
    {
        string id = string.IsNullOrEmpty(clientId) ? workerId : WorkerIdentity.Require(clientId);
        if (!OwnsClient(workerId, id))
        {
            string reason = $"client {id} is not one of the clients worker {workerId} registered.";
            LogForeignClient(workerId, reason);
            throw new RpcException(new Status(StatusCode.PermissionDenied, "Permission denied: " + reason));
        }

        return id;
    }

    /// <summary>Whether <paramref name="clientId"/> is one of the clients <paramref name="workerId"/> registered.</summary>
    private bool OwnsClient(string workerId, string clientId) =>
        _registry.Find(workerId)?.Clients.Any(c => c.ClientId == clientId) == true;

    private string RequireKnownWorker(string workerId, ServerCallContext context)
    {
        WorkerIdentity.Require(workerId);
        CallerAuthorization.RequireWorker(context, workerId);
        if (!_registry.Touch(workerId))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Worker {workerId} is not registered; call Register first."));
        }

        return workerId;
    }

    /// <summary>The model a download asks for: the open round's, or the one under federated evaluation.</summary>
    private ModelSnapshot ModelFor(DownloadRequest request, string workerId)
    {
        var round = _orchestrator.CurrentRound;
        if (round is not null && round.Round == request.Round && round.Model.Version == request.ModelVersion && request.RunId == round.RunId
            && round.PendingClientsOf(workerId).Count > 0)
        {
            return round.Model;
        }

        var evaluation = _orchestrator.CurrentEvaluation;
        if (evaluation is not null && evaluation.Round == request.Round && evaluation.Model.Version == request.ModelVersion
            && request.RunId == evaluation.RunId && evaluation.PendingClientsOf(workerId).Count > 0)
        {
            return evaluation.Model;
        }

        throw new RpcException(new Status(
            StatusCode.FailedPrecondition,
            $"Worker {workerId} has no open assignment for round {request.Round} with model version {request.ModelVersion}."));
    }

    private EvaluationAssignment ToEvaluation(EvaluationState evaluation, IReadOnlyList<string> clients)
    {
        var assignment = new EvaluationAssignment
        {
            RunId = evaluation.RunId,
            Round = evaluation.Round,
            ModelVersion = evaluation.Model.Version,
            Model = ProtoMapping.ToProto(_options.Model),
            DeadlineUnixMs = evaluation.Deadline.ToUnixTimeMilliseconds(),
            ParameterCount = evaluation.Model.ParameterCount,
            TraceParent = evaluation.TraceParent ?? string.Empty,
        };
        assignment.Clients.AddRange(clients);
        return assignment;
    }

    private static ClientInfo ToClient(string clientId, string workerId, DataSummary? data, string field)
    {
        if (data is null || data.ExampleCount <= 0 || data.LabelHistogram.Any(c => c < 0) || CheckedSum(data.LabelHistogram) != data.ExampleCount)
        {
            throw new RpcException(new Status(
                StatusCode.InvalidArgument, $"{field}.example_count must be positive and equal the sum of {field}.label_histogram."));
        }

        return new ClientInfo(clientId, workerId, data.ExampleCount, data.LabelHistogram.ToArray());
    }

    /// <summary>The sum, or -1 when it does not fit in 64 bits (so it can never equal a valid count).</summary>
    private static long CheckedSum(IEnumerable<long> values)
    {
        long sum = 0;
        foreach (long value in values)
        {
            if (value > long.MaxValue - sum)
            {
                return -1;
            }

            sum += value;
        }

        return sum;
    }

    /// <summary>
    /// A worker's total examples is summed wherever it is shown or stored; a total beyond 64 bits would throw there,
    /// after the registry had changed, so it is refused here, before anything has.
    /// </summary>
    private static void RequireSummable(IReadOnlyList<ClientInfo> clients)
    {
        if (CheckedSum(clients.Select(c => c.ExampleCount)) < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The clients' example counts add up to more than 2^63 - 1."));
        }
    }

    private RoundAssignment ToAssignment(RoundState round, string workerId, IReadOnlyList<string> clients)
    {
        var assignment = ToAssignment(round);
        // In a cluster the leading node spreads the round's uploads over the nodes that receive them.
        assignment.NodeEndpoint = _orchestrator.IntakeNodes?.EndpointFor(workerId, round.Round) ?? string.Empty;
        // A single-client worker's client carries the worker's name; it gets the legacy, client-less form.
        if (clients.Count != 1 || clients[0] != workerId)
        {
            assignment.Clients.AddRange(clients);
        }

        return assignment;
    }

    private RoundAssignment ToAssignment(RoundState round) => new()
    {
        RunId = round.RunId,
        Round = round.Round,
        ModelVersion = round.Model.Version,
        Model = ProtoMapping.ToProto(_options.Model),
        Training = ProtoMapping.WithEncoding(
            ProtoMapping.ToProto(_options.Training, _options.Training.Seed ^ (ulong)round.Round, _orchestrator.ProximalMu), round.Encoding, round.TopKFraction),
        DeadlineUnixMs = round.Deadline.ToUnixTimeMilliseconds(),
        ParameterCount = round.Model.ParameterCount,
        MeasureGlobalLoss = _orchestrator.NeedsGlobalLoss,
        TraceParent = round.TraceParent ?? string.Empty,
        // Every receiver of uploads here (this node, an intake node) checks XXH3-128: a twelfth of SHA-256's CPU.
        UploadChecksum = PayloadChecksum.Xxh3128,
    };

    /// <summary>The events that name a client or carry its figures: withheld from every log under DP.</summary>
    public static IReadOnlySet<int> ClientEventIds { get; } = new HashSet<int> { 200, 201, 202, 203, 204, 206, 207, 208 };

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Refused the registration of worker {WorkerId}: {Reason}")]
    private partial void LogClientsRefused(string workerId, string reason);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "Refused a call of worker {WorkerId}: {Reason}")]
    private partial void LogForeignClient(string workerId, string reason);

    [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "Round {Round}: refused a second concurrent upload for client {ClientId} from {WorkerId}")]
    private partial void LogUploadInFlight(string clientId, string workerId, long round);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Round {Round}: client {ClientId} on {WorkerId} sends no update: {Reason}")]
    private partial void LogClientFailed(string clientId, string workerId, long round, string reason);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning, Message = "Round {Round}: client {ClientId} on {WorkerId} gives no evaluation: {Reason}")]
    private partial void LogEvaluationFailed(string clientId, string workerId, long round, string reason);

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Worker {WorkerId} {What} with {Clients} clients, {Examples} examples, on {Device}")]
    private partial void LogRegistered(string workerId, string what, int clients, long examples, string device);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Round {Round}: accepted update for client {ClientId} from {WorkerId} ({Examples} examples)")]
    private partial void LogAccepted(string clientId, string workerId, long round, long examples);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Round {Round}: rejected update for client {ClientId} from {WorkerId} ({Kind}): {Reason}")]
    private partial void LogRejected(string clientId, string workerId, long round, RejectionKind kind, string reason);

    [LoggerMessage(EventId = 204, Level = LogLevel.Error, Message = "Round {Round}: the update of client {ClientId} counts, but could not be recorded for crash recovery: {Reason}")]
    private partial void LogNotDurable(string clientId, long round, string reason);
}
