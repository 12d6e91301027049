using FedTrain.Rpc;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// Checks worker credentials and redeems enrollment tokens against the store. Refusals say only
/// UNAUTHENTICATED or PERMISSION_DENIED; the reason goes to the log, without any secret.
/// </summary>
public sealed partial class WorkerAuthenticator
{
    /// <summary>What a refused caller is told, whatever the reason.</summary>
    public const string UnauthenticatedDetail = "A valid credential is required.";

    public const string PermissionDeniedDetail = "Permission denied.";

    private readonly ICredentialStore _store;
    private readonly Func<string> _currentRunId;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="currentRunId">The run this coordinator serves; credentials of other runs are refused.</param>
    public WorkerAuthenticator(ICredentialStore store, Func<string> currentRunId, TimeProvider time, ILogger<WorkerAuthenticator> logger)
    {
        _store = store;
        _currentRunId = currentRunId;
        _time = time;
        _logger = logger;
    }

    /// <summary>The worker an <c>authorization</c> header's credential belongs to.</summary>
    /// <exception cref="RpcException">UNAUTHENTICATED for a missing, malformed or unknown credential; PERMISSION_DENIED for a revoked or other-run one.</exception>
    public string AuthenticateWorker(string? authorization, string peer)
    {
        if (!SecretToken.TryParse(SecretToken.FromBearer(authorization), SecretToken.CredentialKind, out string id, out byte[] hash))
        {
            LogRefused(peer, "-", authorization is null ? "no credential" : "malformed credential");
            throw Unauthenticated();
        }

        var credential = _store.FindCredential(id);
        if (credential is null || !SecretToken.HashesMatch(credential.SecretHash, hash))
        {
            LogRefused(peer, "-", "unknown credential");
            throw Unauthenticated();
        }

        if (credential.RevokedAt is not null)
        {
            LogRefused(peer, credential.WorkerId, "revoked credential");
            throw PermissionDenied();
        }

        if (credential.RunId != _currentRunId())
        {
            LogRefused(peer, credential.WorkerId, "credential of another run");
            throw PermissionDenied();
        }

        return credential.WorkerId;
    }

    /// <summary>Redeems a one-time enrollment token for <paramref name="workerId"/>: a new credential bound to this run.</summary>
    /// <returns>The credential token, to be handed to the worker once.</returns>
    public IssuedToken Enroll(string? authorization, string workerId, string peer)
    {
        if (!SecretToken.TryParse(SecretToken.FromBearer(authorization), SecretToken.EnrollmentKind, out string id, out byte[] hash))
        {
            LogRefused(peer, workerId, authorization is null ? "no enrollment token" : "malformed enrollment token");
            throw Unauthenticated();
        }

        var now = _time.GetUtcNow();
        var enrollment = _store.FindEnrollment(id);
        if (enrollment is null || !SecretToken.HashesMatch(enrollment.SecretHash, hash))
        {
            LogRefused(peer, workerId, "unknown enrollment token");
            throw Unauthenticated();
        }

        if (enrollment.WorkerId != workerId || enrollment.RevokedAt is not null || enrollment.UsedAt is not null || enrollment.ExpiresAt <= now)
        {
            string reason = enrollment.WorkerId != workerId ? "enrollment token of another worker"
                : enrollment.RevokedAt is not null ? "revoked enrollment token"
                : enrollment.UsedAt is not null ? "enrollment token already used"
                : "expired enrollment token";
            LogRefused(peer, workerId, reason);
            throw PermissionDenied();
        }

        if (!_store.TryMarkEnrollmentUsed(id, now))
        {
            LogRefused(peer, workerId, "enrollment token already used");
            throw PermissionDenied();
        }

        var issued = SecretToken.Create(SecretToken.CredentialKind);
        string runId = _currentRunId();
        // The credential speaks for the clients its enrolment granted, no more.
        _store.AddCredential(new CredentialRecord(issued.Id, workerId, runId, issued.SecretHash, now, null, enrollment.Clients));
        LogEnrolled(workerId, runId, peer);
        return issued;
    }

    internal static RpcException Unauthenticated() => new(StatusCode.Unauthenticated, UnauthenticatedDetail);

    internal static RpcException PermissionDenied() => new(StatusCode.PermissionDenied, PermissionDeniedDetail);

    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "Refused a call from {Peer} (worker {WorkerId}): {Reason}")]
    private partial void LogRefused(string peer, string workerId, string reason);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "Worker {WorkerId} enrolled for run {RunId} from {Peer}")]
    private partial void LogEnrolled(string workerId, string runId, string peer);
}
