using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// Checks worker credentials and redeems enrollment tokens against the store. Refusals say only
/// UNAUTHENTICATED or PERMISSION_DENIED; the reason goes to the log, without any secret, at most one line per
/// remote address per interval (<see cref="RefusalLog"/>). Credentials this coordinator did not issue reach the
/// store only within a small per-address allowance, and never twice when unknown (<see cref="AuthenticationThrottle"/>).
/// </summary>
public sealed partial class WorkerAuthenticator
{
    /// <summary>What a refused caller is told, whatever the reason.</summary>
    public const string UnauthenticatedDetail = "A valid credential is required.";

    public const string PermissionDeniedDetail = "Permission denied.";

    public const string ThrottledDetail = "Too many failed authentications from this address; retry later.";

    private readonly ICredentialStore _store;
    private readonly Func<CancellationToken, ValueTask<string>> _currentRunId;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AuthenticationThrottle _throttle;
    private readonly RefusalLog _refusals;

    private WorkerAuthenticator(
        ICredentialStore store, Func<CancellationToken, ValueTask<string>> currentRunId, LimitOptions limits, RefusalLog refusals, TimeProvider time, ILogger<WorkerAuthenticator> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(limits);
        _store = store;
        _currentRunId = currentRunId;
        _time = time;
        _logger = logger;
        _throttle = new AuthenticationThrottle(limits, time);
        _refusals = refusals;
    }

    /// <param name="currentRunId">The run this coordinator serves; credentials of other runs are refused.</param>
    /// <param name="refusals">Shared with the call gate: refusals are logged at most once per address per interval.</param>
    public static async Task<WorkerAuthenticator> CreateAsync(
        ICredentialStore store,
        Func<CancellationToken, ValueTask<string>> currentRunId,
        LimitOptions limits,
        RefusalLog refusals,
        TimeProvider time,
        ILogger<WorkerAuthenticator> logger,
        CancellationToken cancellationToken = default)
    {
        var authenticator = new WorkerAuthenticator(store, currentRunId, limits, refusals, time, logger);
        // Every credential is issued by a coordinator on this store; knowing them lets their holders past the
        // per-address allowance however hard others at the same address hammer.
        foreach (var credential in await store.ListCredentialsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (credential.RevokedAt is null)
            {
                authenticator._throttle.Issued(credential.CredentialId, credential.SecretHash);
            }
        }

        return authenticator;
    }

    /// <summary>Remote addresses whose lookup allowance is kept now (idle ones are dropped).</summary>
    internal int TrackedAddresses => _throttle.TrackedAddresses;

    /// <summary>The worker an <c>authorization</c> header's credential belongs to.</summary>
    /// <exception cref="RpcException">UNAUTHENTICATED for a missing, malformed or unknown credential; PERMISSION_DENIED for a revoked or other-run one.</exception>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED when the caller's address has used up its allowance of lookups of credentials this coordinator did not issue.</exception>
    public async Task<string> AuthenticateWorkerAsync(string? authorization, string peer, CancellationToken cancellationToken = default)
    {
        string address = AddressOf(peer);
        if (!SecretToken.TryParse(SecretToken.FromBearer(authorization), SecretToken.CredentialKind, out string id, out byte[] hash))
        {
            LogRefused(address, peer, "-", authorization is null ? "no credential" : "malformed credential");
            throw Unauthenticated();
        }

        if (!_throttle.MayLookUp(address, id, hash, out string? throttled))
        {
            LogRefused(address, peer, "-", throttled!);
            throw throttled == AuthenticationThrottle.ThrottledReason ? Throttled() : Unauthenticated();
        }

        var credential = await _store.FindCredentialAsync(id, cancellationToken).ConfigureAwait(false);
        if (credential is null || !SecretToken.HashesMatch(credential.SecretHash, hash))
        {
            _throttle.Unknown(id, hash);
            LogRefused(address, peer, "-", "unknown credential");
            throw Unauthenticated();
        }

        if (credential.RevokedAt is not null)
        {
            _throttle.Forget(id);
            LogRefused(address, peer, credential.WorkerId, "revoked credential");
            throw PermissionDenied();
        }

        if (credential.RunId != await _currentRunId(cancellationToken).ConfigureAwait(false))
        {
            _throttle.Forget(id);
            LogRefused(address, peer, credential.WorkerId, "credential of another run");
            throw PermissionDenied();
        }

        return credential.WorkerId;
    }

    /// <summary>Redeems a one-time enrollment token for <paramref name="workerId"/>: a new credential bound to this run.</summary>
    /// <returns>The credential token, to be handed to the worker once.</returns>
    public async Task<IssuedToken> EnrollAsync(string? authorization, string workerId, string peer, CancellationToken cancellationToken = default)
    {
        string address = AddressOf(peer);
        if (!SecretToken.TryParse(SecretToken.FromBearer(authorization), SecretToken.EnrollmentKind, out string id, out byte[] hash))
        {
            LogRefused(address, peer, workerId, authorization is null ? "no enrollment token" : "malformed enrollment token");
            throw Unauthenticated();
        }

        var now = _time.GetUtcNow();
        var enrollment = await _store.FindEnrollmentAsync(id, cancellationToken).ConfigureAwait(false);
        if (enrollment is null || !SecretToken.HashesMatch(enrollment.SecretHash, hash))
        {
            LogRefused(address, peer, workerId, "unknown enrollment token");
            throw Unauthenticated();
        }

        if (enrollment.WorkerId != workerId || enrollment.RevokedAt is not null || enrollment.UsedAt is not null || enrollment.ExpiresAt <= now)
        {
            string reason = enrollment.WorkerId != workerId ? "enrollment token of another worker"
                : enrollment.RevokedAt is not null ? "revoked enrollment token"
                : enrollment.UsedAt is not null ? "enrollment token already used"
                : "expired enrollment token";
            LogRefused(address, peer, workerId, reason);
            throw PermissionDenied();
        }

        if (!await _store.TryMarkEnrollmentUsedAsync(id, now, cancellationToken).ConfigureAwait(false))
        {
            LogRefused(address, peer, workerId, "enrollment token already used");
            throw PermissionDenied();
        }

        var issued = SecretToken.Create(SecretToken.CredentialKind);
        string runId = await _currentRunId(cancellationToken).ConfigureAwait(false);
        // The credential speaks for the clients its enrolment granted, no more.
        await _store.AddCredentialAsync(new CredentialRecord(issued.Id, workerId, runId, issued.SecretHash, now, null, enrollment.Clients), cancellationToken).ConfigureAwait(false);
        _throttle.Issued(issued.Id, issued.SecretHash);
        LogEnrolled(workerId, runId, peer);
        return issued;
    }

    internal static RpcException Unauthenticated() => new(new Status(StatusCode.Unauthenticated, UnauthenticatedDetail));

    internal static RpcException PermissionDenied() => new(new Status(StatusCode.PermissionDenied, PermissionDeniedDetail));

    internal static RpcException Throttled() => new(new Status(StatusCode.ResourceExhausted, ThrottledDetail));

    /// <summary>The address part of a gRPC peer (<c>ipv4:10.0.0.5:41234</c>, <c>ipv6:[::1]:41234</c>): the key of per-address state.</summary>
    internal static string AddressOf(string peer)
    {
        int scheme = peer.IndexOf(':', StringComparison.Ordinal);
        int port = peer.LastIndexOf(':');
        return scheme >= 0 && port > scheme ? peer[(scheme + 1)..port].Trim('[', ']') : peer;
    }

    private void LogRefused(string address, string peer, string workerId, string reason)
    {
        if (_refusals.Admit(address, reason))
        {
            LogRefused(peer, workerId, reason);
        }
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "Refused a call from {Peer} (worker {WorkerId}): {Reason}")]
    private partial void LogRefused(string peer, string workerId, string reason);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "Worker {WorkerId} enrolled for run {RunId} from {Peer}")]
    private partial void LogEnrolled(string workerId, string runId, string peer);
}
