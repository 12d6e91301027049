using FedTrain.Coordinator.Grpc;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// The gate of the gRPC port, a middleware in front of Grpc.AspNetCore, so that it runs before any request message
/// is read (Grpc.AspNetCore's own interceptors see a unary call only once its message has been read and parsed). It leaves the health
/// service open (probes carry no credentials) but limited per address, leaves enrolment to its handler (it
/// authenticates with an enrollment token), authenticates every other call (under mTLS also checking that the
/// client certificate is the credential's worker's) and applies the per-worker limits.
/// </summary>
public sealed partial class CoordinatorCallGate
{
    private const string HealthPrefix = "/grpc.health.v1.Health/";
    private static readonly string EnrollmentPrefix = $"/{Protos.EnrollmentMethods.ServiceName}/";

    private readonly WorkerAuthenticator? _authenticator;
    private readonly WorkerCertificateBinding? _certificateBinding;
    private readonly WorkerCallLimiter _limiter;
    private readonly RefusalLog _refusals;
    private readonly ILogger _logger;

    /// <param name="authenticator">Null when authentication is turned off.</param>
    /// <param name="certificateBinding">Non-null under mTLS with authentication: the client certificate must name the credential's worker.</param>
    /// <param name="refusals">Keeps limit refusals to one log line per caller per interval.</param>
    public CoordinatorCallGate(
        WorkerAuthenticator? authenticator, WorkerCertificateBinding? certificateBinding, WorkerCallLimiter limiter, RefusalLog refusals, ILogger<CoordinatorCallGate> logger)
    {
        _authenticator = authenticator;
        _certificateBinding = certificateBinding;
        _limiter = limiter;
        _refusals = refusals;
        _logger = logger;
    }

    /// <summary>Admits the call to <paramref name="next"/>, or answers it with its refusal's status alone.</summary>
    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            await AdmitAsync(http).ConfigureAwait(false);
        }
        catch (RpcException refused)
        {
            await TrailersOnlyStatus.WriteAsync(http, refused.Status).ConfigureAwait(false);
            return;
        }

        await next(http).ConfigureAwait(false);
    }

    private async Task AdmitAsync(HttpContext http)
    {
        string method = http.Request.Path.Value ?? string.Empty;
        string peer = GrpcPeer.Of(http);
        string peerAddress = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        WorkerPrincipal principal;
        if (method.StartsWith(HealthPrefix, StringComparison.Ordinal))
        {
            // Open, but a flood of probes from one address spends that address's own allowance, not a worker's.
            principal = new WorkerPrincipal(null, "health@" + peerAddress);
        }
        else if (method.StartsWith(EnrollmentPrefix, StringComparison.Ordinal))
        {
            // Not yet a worker: limited per address, so guessing tokens is slow on top of hopeless.
            principal = new WorkerPrincipal(null, "enroll@" + peerAddress);
        }
        else if (_authenticator is null)
        {
            principal = new WorkerPrincipal(null, "peer@" + peerAddress);
        }
        else
        {
            string workerId = await _authenticator.AuthenticateWorkerAsync(
                http.Request.Headers.Authorization.ToString() is { Length: > 0 } header ? header : null, peer, http.RequestAborted).ConfigureAwait(false);
            _certificateBinding?.Require(workerId, http.Connection.ClientCertificate, peer);
            principal = new WorkerPrincipal(workerId, workerId);
        }

        var lease = _limiter.TryAcquire(principal.LimitKey, out string? refusedBy);
        if (lease is null)
        {
            if (_refusals.Admit(principal.LimitKey, refusedBy! + " limit"))
            {
                LogLimited(principal.LimitKey, method, refusedBy!);
            }

            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Too many calls: the {refusedBy} limit of this worker is reached."));
        }

        http.Response.RegisterForDispose(lease);
        http.Items[WorkerPrincipal.ItemKey] = principal;
    }

    [LoggerMessage(EventId = 610, Level = LogLevel.Warning, Message = "Refused a call of {Caller} to {Method}: {Limit} limit reached")]
    private partial void LogLimited(string caller, string method, string limit);
}
