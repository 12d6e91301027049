using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Storage;
using FedTrain.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// Wires authentication, TLS and limits into a coordinator: the gRPC interceptor and stream limit, the enrolment
/// service, TLS on the gRPC endpoint and the operator token on the HTTP port.
/// </summary>
public sealed partial class CoordinatorSecurity
{
    private readonly SecurityOptions _options;
    private readonly CoordinatorCallGate _gate;
    private readonly EnrollmentService? _enrollment;
    private readonly byte[]? _operatorTokenHash;
    private readonly ILoggerFactory _loggerFactory;

    private CoordinatorSecurity(
        SecurityOptions options, CoordinatorCallGate gate, EnrollmentService? enrollment, byte[]? operatorTokenHash, string? operatorTokenPath, ILoggerFactory loggerFactory)
    {
        _options = options;
        _gate = gate;
        _enrollment = enrollment;
        _operatorTokenHash = operatorTokenHash;
        OperatorTokenPath = operatorTokenPath;
        _loggerFactory = loggerFactory;
    }

    /// <summary>Where the operator token of the HTTP API is kept; null when authentication is off.</summary>
    public string? OperatorTokenPath { get; }

    public static CoordinatorSecurity Create(
        CoordinatorOptions options, ICoordinatorStore store, RoundOrchestrator orchestrator, TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var security = options.Security;
        var limiter = new WorkerCallLimiter(security.Limits, time);
        if (!security.Auth.Enabled)
        {
            LogAuthenticationOff(loggerFactory.CreateLogger<CoordinatorSecurity>());
            return new CoordinatorSecurity(
                security, new CoordinatorCallGate(null, null, limiter, loggerFactory.CreateLogger<CoordinatorCallGate>()), null, null, null, loggerFactory);
        }

        var credentials = store as ICredentialStore
            ?? throw new InvalidOperationException($"The coordinator store {store.GetType().Name} keeps no credentials; authentication needs one that does.");
        var runs = new RunIdentity(store, orchestrator);
        var authenticator = new WorkerAuthenticator(credentials, runs.Current, time, loggerFactory.CreateLogger<WorkerAuthenticator>());
        var certificateBinding = security.Tls.RequireClientCertificate ? new WorkerCertificateBinding(loggerFactory.CreateLogger<WorkerCertificateBinding>()) : null;
        string tokenPath = OperatorToken.PathFor(security.Auth, options.RunDirectory);
        return new CoordinatorSecurity(
            security,
            new CoordinatorCallGate(authenticator, certificateBinding, limiter, loggerFactory.CreateLogger<CoordinatorCallGate>()),
            new EnrollmentService(authenticator, certificateBinding, runs.Current),
            OperatorToken.LoadOrCreateHash(tokenPath),
            tokenPath,
            loggerFactory);
    }

    /// <summary>Installs the call gate and the per-call stream limit.</summary>
    public void ConfigureRpc(GrpcServerOptions rpc)
    {
        ArgumentNullException.ThrowIfNull(rpc);
        rpc.Interceptor = _gate.InterceptAsync;
        rpc.MaxReceiveStreamSize = _options.Limits.MaxStreamBytes;
    }

    /// <summary>Maps the enrolment service (only when authentication is on).</summary>
    public void Map(GrpcRouter router) => _enrollment?.Map(router);

    /// <summary>TLS (and mTLS) on the gRPC endpoint when configured.</summary>
    public void ConfigureGrpcEndpoint(ListenOptions listen) => KestrelTls.Apply(listen, _options.Tls);

    /// <summary>Requires the operator token on the HTTP port; call before the HTTP endpoints are mapped.</summary>
    public void UseHttpAuthentication(WebApplication app, int httpPort)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (_operatorTokenHash is null)
        {
            return;
        }

        var middleware = new OperatorAuthMiddleware(_operatorTokenHash, _options.Auth.MetricsRequireToken, _loggerFactory.CreateLogger<OperatorAuthMiddleware>());
        app.UseWhen(http => http.Connection.LocalPort == httpPort, http => http.Use(next => context => middleware.InvokeAsync(context, next)));
    }

    [LoggerMessage(EventId = 630, Level = LogLevel.Warning, Message = "AUTHENTICATION IS OFF (--insecure-no-auth): any caller can act as any worker and read the HTTP API. Use this only on a trusted, isolated network.")]
    private static partial void LogAuthenticationOff(ILogger logger);
}
