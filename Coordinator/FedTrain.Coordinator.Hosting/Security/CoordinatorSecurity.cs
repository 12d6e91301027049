using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Storage;
using FedTrain.Coordinator.Grpc;
using FedTrain.Coordinator.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// Wires authentication, TLS and limits into a coordinator: the gRPC interceptor and stream limit, the enrolment
/// service, TLS on the gRPC endpoint and the operator token on the HTTP port.
/// </summary>
public sealed partial class CoordinatorSecurity : IDisposable
{
    /// <summary>Largest Enroll request: it holds a worker id of at most 128 characters; anything near this is not an enrolment.</summary>
    public const int MaxEnrollRequestBytes = 1024;

    private readonly SecurityOptions _options;
    private readonly CoordinatorCallGate _gate;
    private readonly EnrollmentService? _enrollment;
    private readonly byte[]? _operatorTokenHash;
    private readonly ILoggerFactory _loggerFactory;
    private readonly RefusalLog _refusals;

    private CoordinatorSecurity(
        SecurityOptions options, CoordinatorCallGate gate, EnrollmentService? enrollment, byte[]? operatorTokenHash, string? operatorTokenPath, ILoggerFactory loggerFactory,
        RefusalLog refusals)
    {
        _refusals = refusals;
        _options = options;
        _gate = gate;
        _enrollment = enrollment;
        _operatorTokenHash = operatorTokenHash;
        OperatorTokenPath = operatorTokenPath;
        _loggerFactory = loggerFactory;
    }

    /// <summary>Where the operator token of the HTTP API is kept; null when authentication is off.</summary>
    public string? OperatorTokenPath { get; }

    /// <param name="options">The coordinator's options.</param>
    /// <param name="store">Where credentials and the run are kept.</param>
    /// <param name="newRun">The id of the run this coordinator would create, until one is stored (the orchestrator's).</param>
    /// <param name="time">The clock of rate limits and token expiry.</param>
    /// <param name="loggerFactory">Where refusals are logged.</param>
    public static async Task<CoordinatorSecurity> CreateAsync(
        CoordinatorOptions options, ICoordinatorStore store, Func<string> newRun, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var security = options.Security;
        var limiter = new WorkerCallLimiter(security.Limits, time);
        var refusals = new RefusalLog(loggerFactory.CreateLogger<RefusalLog>(), time, TimeSpan.FromSeconds(security.Limits.RefusalLogIntervalSeconds));
        if (!security.Auth.Enabled)
        {
            LogAuthenticationOff(loggerFactory.CreateLogger<CoordinatorSecurity>());
            return new CoordinatorSecurity(
                security, new CoordinatorCallGate(null, null, limiter, refusals, loggerFactory.CreateLogger<CoordinatorCallGate>()), null, null, null, loggerFactory, refusals);
        }

        if (!security.Tls.Enabled && !IsLoopback(options.BindAddress))
        {
            LogTokensInClear(loggerFactory.CreateLogger<CoordinatorSecurity>(), options.BindAddress);
        }

        var credentials = store as ICredentialStore
            ?? throw new InvalidOperationException($"The coordinator store {store.GetType().Name} keeps no credentials; authentication needs one that does.");
        var runs = new RunIdentity(store, newRun);
        var authenticator = await WorkerAuthenticator.CreateAsync(
            credentials, runs.CurrentAsync, security.Limits, refusals, time, loggerFactory.CreateLogger<WorkerAuthenticator>(), cancellationToken).ConfigureAwait(false);
        var certificateBinding = security.Tls.RequireClientCertificate ? new WorkerCertificateBinding(loggerFactory.CreateLogger<WorkerCertificateBinding>()) : null;
        string tokenPath = OperatorToken.PathFor(security.Auth, options.RunDirectory);
        return new CoordinatorSecurity(
            security,
            new CoordinatorCallGate(authenticator, certificateBinding, limiter, refusals, loggerFactory.CreateLogger<CoordinatorCallGate>()),
            new EnrollmentService(authenticator, certificateBinding, runs.CurrentAsync),
            OperatorToken.LoadOrCreateHash(tokenPath),
            tokenPath,
            loggerFactory,
            refusals);
    }

    /// <summary>The gate every gRPC call passes before any of its messages is read: authentication and per-worker limits.</summary>
    public CoordinatorCallGate Gate => _gate;

    /// <summary>The enrolment service; null when authentication is off.</summary>
    public EnrollmentService? Enrollment => _enrollment;

    /// <summary>The per-call bounds: unary durations (enrolment's tighter) and health Watch streams.</summary>
    public GrpcCallBounds CallBounds() => new(
        TimeSpan.FromSeconds(_options.Limits.MaxUnaryCallSeconds),
        new Dictionary<string, TimeSpan>(StringComparer.Ordinal)
        {
            [$"/{Protos.EnrollmentMethods.ServiceName}/Enroll"] = TimeSpan.FromSeconds(_options.Limits.EnrollTimeoutSeconds),
        },
        _options.Limits.MaxHealthWatchesPerConnection,
        _options.Limits.MaxHealthWatchesPerAddress);

    /// <summary>Largest decompressed request message relative to its compressed size (past 64 KiB).</summary>
    public int MaxDecompressionRatio => _options.Limits.MaxDecompressionRatio;

    /// <summary>
    /// Kestrel's connection limits and minimum request body rate, on both ports: a request message that stops
    /// arriving is dropped once its rate falls below the minimum after a 10 s grace (HTTP/2 counts only the time a call
    /// waits for data, so long streams that send nothing while the coordinator works are not cut).
    /// </summary>
    public void ConfigureKestrel(KestrelServerOptions kestrel)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        kestrel.Limits.MaxConcurrentConnections = _options.Limits.MaxConnections;
        kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(_options.Limits.MinRequestBytesPerSecond, TimeSpan.FromSeconds(10));
    }

    public void Dispose() => _refusals.Dispose();

    /// <summary>TLS on the HTTP endpoint when TLS is configured (see <see cref="KestrelTls.ApplyToHttp"/>).</summary>
    public void ConfigureHttpEndpoint(ListenOptions listen) => KestrelTls.ApplyToHttp(listen, _options.Tls);

    /// <summary>TLS (and mTLS) on the gRPC endpoint when configured, and the cap on connections per remote address.</summary>
    public void ConfigureGrpcEndpoint(ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ConnectionsPerAddress.Limit(listen, _options.Limits.MaxConnectionsPerAddress);
        KestrelTls.Apply(listen, _options.Tls);
    }

    /// <summary>Requires the operator token on the HTTP port; call before the HTTP endpoints are mapped.</summary>
    public void UseHttpAuthentication(WebApplication app, Func<HttpContext, bool> isHttpRequest)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (_operatorTokenHash is null)
        {
            return;
        }

        var middleware = new OperatorAuthMiddleware(_operatorTokenHash, _options.Auth.MetricsRequireToken, _loggerFactory.CreateLogger<OperatorAuthMiddleware>());
        app.UseWhen(isHttpRequest, http => http.Use(next => context => middleware.InvokeAsync(context, next)));
    }

    private static bool IsLoopback(string bindAddress) =>
        System.Net.IPAddress.TryParse(bindAddress, out var address) && System.Net.IPAddress.IsLoopback(address);

    [LoggerMessage(EventId = 631, Level = LogLevel.Warning, Message = "TLS is off and the coordinator binds {Bind}, not loopback: worker credentials, enrollment tokens and the operator token travel IN CLEAR over the network. Give --tls-cert and --tls-key (the HTTP port then serves TLS too).")]
    private static partial void LogTokensInClear(ILogger logger, string bind);

    [LoggerMessage(EventId = 630, Level = LogLevel.Warning, Message = "AUTHENTICATION IS OFF (--insecure-no-auth): any caller can act as any worker and read the HTTP API. Use this only on a trusted, isolated network.")]
    private static partial void LogAuthenticationOff(ILogger logger);
}
