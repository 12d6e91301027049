using FedTrain.Coordinator.Intake;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Security;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.Protos.Wire;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// <c>fedtrain.v1.Coordinator</c>'s DownloadModel and UploadUpdate on a node that serves workers for the node leading
/// the run (its intake port). A download sends the round's model from this node's copy (the committed checkpoint, or
/// for round 1 the leader's copy of the initial model, checked against the round's digest). An upload gets the same checks as at the leader, in the same order and with the
/// same statuses: the header against the round's ticket, then every chunk as it arrives; a verified update is kept in
/// the shared spool, counted by the leader and summed here (<see cref="IntakeRound"/>) before it is acknowledged. No
/// other method is served here.
/// </summary>
public sealed partial class IntakeGrpcService(CoordinatorOptions options, IntakeReception reception, ILogger<IntakeGrpcService> logger)
{
    private readonly ILogger _logger = logger;
    private readonly HashSet<string> _uploadsInFlight = new(StringComparer.Ordinal);
    private ModelDownloads? _downloads;

    /// <summary>The events that name a client: withheld under DP, as the leader's are.</summary>
    public static IReadOnlySet<int> ClientEventIds { get; } = new HashSet<int> { 230, 231 };

    /// <summary>Raised when an update was received, kept and counted: its payload bytes.</summary>
    public event Action<long>? UpdateReceived;

    /// <summary>Raised when a model download has been sent in full: payload bytes.</summary>
    public event Action<long>? ModelSent;

    internal async Task DownloadModelAsync(DownloadRequest request, IServerStreamWriter<ModelChunk> writer, ServerCallContext context)
    {
        string workerId = WorkerIdentity.Require(request.WorkerId);
        CallerAuthorization.RequireWorker(context, workerId);
        IntakeRound round;
        try
        {
            round = await reception.RoundAsync(request.RunId, request.Round, request.ModelVersion, context.CancellationToken).ConfigureAwait(false);
        }
        catch (UpdateRejectedException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
        catch (LeaderUnreachableException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "The node leading the run cannot be reached from here; try again."));
        }

        if (!round.Ticket.Clients.Any(c => c.WorkerId == workerId))
        {
            throw new RpcException(new Status(
                StatusCode.FailedPrecondition, $"Worker {workerId} has no open assignment for round {request.Round} with model version {request.ModelVersion}."));
        }

        // No file to serve (the leader could not write the initial model), or a copy that does not match the leader's.
        var model = await round.ModelAsync().ConfigureAwait(false)
            ?? throw new RpcException(new Status(
                StatusCode.FailedPrecondition, $"This node holds no copy of model version {request.ModelVersion}; download it from the coordinator."));
        var download = LazyInitializer.EnsureInitialized(ref _downloads, () => new ModelDownloads(round.Ticket.Manifest, options.ChunkBytes)).For(model);
        await download.SendAsync(writer, request.Round, context.CancellationToken).ConfigureAwait(false);
        ModelSent?.Invoke(download.PayloadBytes);
    }

    internal async Task<UploadAck> UploadUpdateAsync(IAsyncStreamReader<ReceivedChunk<UploadHeader>> chunks, ServerCallContext context)
    {
        string workerId = "?";
        string clientId = "?";
        long roundNumber = 0;
        try
        {
            var token = context.CancellationToken;
            var limit = new UploadStreamLimit(options.Security.Limits.MaxStreamBytes);
            var header = await UploadStream.ReadHeaderAsync(chunks, limit, token).ConfigureAwait(false);
            workerId = WorkerIdentity.Require(header.WorkerId);
            CallerAuthorization.RequireWorker(context, workerId);
            clientId = string.IsNullOrEmpty(header.ClientId) ? workerId : WorkerIdentity.Require(header.ClientId);
            roundNumber = header.Round;
            var round = await reception.RoundAsync(header.RunId, header.Round, header.ModelVersion, token).ConfigureAwait(false);
            // The ticket names each selected client's worker: a worker can upload only for its own clients.
            round.Check(workerId, clientId, header.ExampleCount);
            var ticket = round.Ticket;
            var payload = UploadPayloadCheck.Require(header.Payload, ticket.ParameterCount, ticket.Encoding, ticket.TopKFraction, ticket.Manifest);

            using var inFlight = UploadSlot.TryTake(_uploadsInFlight, clientId)
                ?? throw new RpcException(new Status(StatusCode.Aborted, $"Upload refused: an upload for client {clientId} is already in flight; this one is refused."));
            // Example counts are claims: above max_examples_per_client a client's update weighs as that many, as at the leader.
            long weight = Math.Min(header.ExampleCount, options.Security.Limits.MaxExamplesPerClient);
            using (var upload = reception.Spool.Begin(round.Round, clientId))
            {
                using (var writer = new PayloadFileWriter(payload, upload.File, ticket.EncodedUpdateBytes))
                {
                    await UploadStream.ReceiveAsync(chunks, limit, writer, roundNumber, token).ConfigureAwait(false);
                }

                reception.Spool.Flush(upload);
                await round.KeepAsync(upload, workerId, clientId, weight, token).ConfigureAwait(false);
            }

            LogAccepted(clientId, workerId, roundNumber, weight);
            UpdateReceived?.Invoke(ticket.EncodedUpdateBytes);
            return new UploadAck { Accepted = true };
        }
        catch (PayloadException ex)
        {
            throw Reject(workerId, clientId, roundNumber, new UpdateRejectedException(RejectionStatus.For(ex.Error), ex.Message));
        }
        catch (UpdateRejectedException ex)
        {
            throw Reject(workerId, clientId, roundNumber, ex);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
        {
            throw Reject(workerId, clientId, roundNumber, new UpdateRejectedException(RejectionKind.TooLarge, ex.Status.Detail));
        }
        catch (LeaderUnreachableException ex)
        {
            // Whether the leader counted it is unknown: the worker sends it again (here, or to the leader itself), and a
            // copy that was counted is answered ALREADY_EXISTS.
            LogLeaderUnreachable(roundNumber, ex.Message);
            throw new RpcException(new Status(StatusCode.Unavailable, "The node leading the run cannot be reached from here; try again."));
        }
        catch (InvalidOperationException ex)
        {
            // The leader could not count it for a reason of the cluster's own (e.g. a run directory that is not shared).
            LogLeaderUnreachable(roundNumber, ex.Message);
            throw new RpcException(new Status(StatusCode.Unavailable, "This node cannot hand the update to the node leading the run; try again."));
        }
    }

    private RpcException Reject(string workerId, string clientId, long round, UpdateRejectedException rejection)
    {
        LogRejected(clientId, workerId, round, rejection.Kind, rejection.Message);
        return new RpcException(new Status(RejectionStatus.For(rejection.Kind), rejection.Message));
    }

    [LoggerMessage(EventId = 230, Level = LogLevel.Information, Message = "Received {ClientId}'s update (worker {WorkerId}) for round {Round}, {Examples} examples, for the leading node")]
    private partial void LogAccepted(string clientId, string workerId, long round, long examples);

    [LoggerMessage(EventId = 231, Level = LogLevel.Warning, Message = "Refused {ClientId}'s update (worker {WorkerId}) for round {Round}: {Kind}: {Reason}")]
    private partial void LogRejected(string clientId, string workerId, long round, RejectionKind kind, string reason);

    [LoggerMessage(EventId = 232, Level = LogLevel.Warning, Message = "Round {Round}: an upload could not be handed to the leading node: {Reason}")]
    private partial void LogLeaderUnreachable(long round, string reason);
}
