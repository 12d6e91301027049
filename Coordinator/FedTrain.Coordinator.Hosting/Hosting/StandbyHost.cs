using System.Net;
using FedTrain.Coordinator.Grpc;
using FedTrain.Coordinator.Intake;
using FedTrain.Coordinator.Security;
using FedTrain.Coordinator.Spool;
using FedTrain.Coordinator.Storage;
using FedTrain.Coordinator.Telemetry;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Hosting;

/// <summary>
/// What a node of a cluster serves while it does not lead the run: its HTTP port with <c>GET /metrics</c> (the cluster
/// runtime's meters and what the node received), and, given an intake port, UploadUpdate for the leading node behind
/// the same TLS, call gate (authentication against the shared store, per-worker limits), call bounds and call tracing
/// as the leader's gRPC port. The leader hands out the intake address in assignments (<see cref="IIntakeNodes"/>).
/// When the node starts leading, this host stops first and hands its ports over to the coordinator
/// (<see cref="CoordinatorHost"/>), which serves all of it and more.
/// </summary>
public sealed class StandbyHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ICoordinatorStore _store;
    private readonly CoordinatorSecurity _security;
    private readonly IntakeMetrics? _metrics;
    private readonly ListenOptions? _intakeListener;
    private readonly ListenOptions? _httpListener;
    private int _disposed;

    private StandbyHost(
        WebApplication app, ICoordinatorStore store, CoordinatorSecurity security, IntakeMetrics? metrics, ListenOptions? intakeListener, ListenOptions? httpListener,
        IntakeReception? reception)
    {
        _app = app;
        _store = store;
        _security = security;
        _metrics = metrics;
        _intakeListener = intakeListener;
        _httpListener = httpListener;
        Reception = reception;
    }

    /// <summary>The rounds this node receives uploads for, and the partial sums the leader collects; null without an intake port.</summary>
    public IntakeReception? Reception { get; }

    /// <summary>The intake port bound (the system's choice when 0 was asked for); null without one.</summary>
    public int? IntakePort => (_intakeListener?.EndPoint as IPEndPoint)?.Port;

    /// <summary>The HTTP port bound; null when it was not asked for.</summary>
    public int? HttpPort => (_httpListener?.EndPoint as IPEndPoint)?.Port;

    /// <param name="options">The run's options, the same on every node (security, limits, ports, run directory, database).</param>
    /// <param name="intakePort">The intake port (0 for a free one); null to receive no uploads.</param>
    /// <param name="node">This node's name, as the leader knows it.</param>
    /// <param name="leader">How this node reaches the leading node.</param>
    /// <param name="serveHttp">Whether to serve <c>/metrics</c> on the coordinator's HTTP port.</param>
    /// <param name="cluster">The cluster, whose runtime's meters join this node's metrics.</param>
    /// <param name="loggerFactory">Where the ports' refusals and receipts are logged.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<StandbyHost> StartAsync(
        CoordinatorOptions options, int? intakePort, string node, IIntakeLeader leader, bool serveHttp, ICoordinatorCluster cluster, ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        // Read first: a bad OTEL_* variable stops the start with its name before anything is created.
        var telemetrySettings = FedTrain.Telemetry.TelemetrySettings.FromEnvironment();
        // The store for the workers' credentials only: a standby node takes no lease and writes none of the run's state.
        var store = CoordinatorStoreFactory.Open(options.Database, options.RunDirectory, options.DatabasePasswordFile);
        IntakeMetrics? metrics = null;
        CoordinatorSecurity? security = null;
        try
        {
            IntakeReception? reception = null;
            IntakeGrpcService? service = null;
            if (intakePort is not null)
            {
                var spool = new RoundUpdateSpool(Path.Combine(options.RunDirectory, "spool"), journal: null, durableFiles: true);
                reception = new IntakeReception(node, leader, spool);
                ILogger<IntakeGrpcService> serviceLogger = loggerFactory.CreateLogger<IntakeGrpcService>();
                service = new IntakeGrpcService(
                    options, reception,
                    options.Privacy is null ? serviceLogger : new WithheldEventsLogger<IntakeGrpcService>(serviceLogger, IntakeGrpcService.ClientEventIds));
                metrics = new IntakeMetrics(service, options.Privacy is null);
            }

            // Credentials are bound to the stored run; before the leader created it there is nothing to upload for.
            security = await CoordinatorSecurity.CreateAsync(options, store, () => string.Empty, TimeProvider.System, loggerFactory, cancellationToken).ConfigureAwait(false);
            ListenOptions? intakeListener = null;
            ListenOptions? httpListener = null;
            bool IsIntake(HttpContext http) => intakeListener?.EndPoint is IPEndPoint intake && http.Connection.LocalPort == intake.Port;
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<ILoggerFactory>(new TransportLogFilter(loggerFactory));
            CoordinatorTelemetry.AddPipelines(builder.Services, IsIntake, telemetrySettings, cluster);
            if (service is not null)
            {
                CoordinatorGrpcEndpoints.AddBoundedGrpc(builder.Services, options, security);
                builder.Services.AddSingleton(service);
                builder.Services.AddSingleton<IServiceMethodProvider<IntakeGrpcService>>(new IntakeMethodProvider());
            }

            var address = IPAddress.Parse(options.BindAddress);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                GrpcKestrel.ConfigureLimits(kestrel);
                security.ConfigureKestrel(kestrel);
                if (intakePort is { } port)
                {
                    kestrel.Listen(address, port, listen =>
                    {
                        intakeListener = listen;
                        listen.Protocols = HttpProtocols.Http2;
                        security.ConfigureGrpcEndpoint(listen);
                    });
                }

                if (serveHttp)
                {
                    kestrel.Listen(address, options.HttpPort, listen =>
                    {
                        httpListener = listen;
                        listen.Protocols = HttpProtocols.Http1;
                        security.ConfigureHttpEndpoint(listen);
                    });
                }
            });
            var app = builder.Build();
            CoordinatorTelemetry.ExcludeFromRequestMetrics(app, IsIntake);
            app.UseWhen(http => !IsIntake(http), http => http.Use(next => context => HttpSecurityHeaders.InvokeAsync(context, next)));
            security.UseHttpAuthentication(app, http => !IsIntake(http));
            // As on the leader's worker port: the intake port serves gRPC alone, behind the same checks.
            CoordinatorGrpcEndpoints.UseGrpcPort(app, IsIntake, options, security);
            if (service is not null)
            {
                app.MapGrpcService<IntakeGrpcService>();
            }

            CoordinatorTelemetry.MapMetricsEndpoint(app);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // A port in use (another node on this host): the caller may try again without the HTTP port.
                await app.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            return new StandbyHost(app, store, security, metrics, intakeListener, httpListener, reception);
        }
        catch
        {
            metrics?.Dispose();
            security?.Dispose();
            store.Dispose();
            throw;
        }
    }

    /// <summary>Stops the ports (once; later calls do nothing), so that a node that starts leading can bind them again.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _metrics?.Dispose();
        _security.Dispose();
        _store.Dispose();
    }
}
