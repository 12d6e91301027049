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
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Hosting;

/// <summary>
/// A node's intake port: Kestrel serving UploadUpdate for the node leading the run, behind the same TLS, call gate
/// (authentication against the shared store, per-worker limits) and call bounds as the leader's gRPC port. It runs on
/// every node of a cluster that is given an intake port, whether it leads or stands by; the leader hands out its
/// address in assignments (<see cref="IIntakeNodes"/>). Dispose stops it.
/// </summary>
public sealed class IntakeHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ICoordinatorStore _store;
    private readonly CoordinatorSecurity _security;
    private readonly ListenOptions _listener;

    private IntakeHost(WebApplication app, ICoordinatorStore store, CoordinatorSecurity security, ListenOptions listener, IntakeReception reception, IntakeGrpcService service)
    {
        _app = app;
        _store = store;
        _security = security;
        _listener = listener;
        Reception = reception;
        Service = service;
    }

    /// <summary>The rounds this node receives uploads for, and the partial sums the leader collects from it.</summary>
    public IntakeReception Reception { get; }

    public IntakeGrpcService Service { get; }

    /// <summary>The port bound (the system's choice when 0 was asked for).</summary>
    public int Port => ((IPEndPoint)_listener.EndPoint).Port;

    /// <param name="options">The run's options, the same on every node (security, limits, run directory, database).</param>
    /// <param name="port">The intake port; 0 for a free one.</param>
    /// <param name="node">This node's name, as the leader knows it.</param>
    /// <param name="leader">How this node reaches the leading node.</param>
    /// <param name="loggerFactory">Where the port's refusals and receipts are logged.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<IntakeHost> StartAsync(
        CoordinatorOptions options, int port, string node, IIntakeLeader leader, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        // The store for the workers' credentials only: this node takes no lease and writes none of the run's state.
        var store = CoordinatorStoreFactory.Open(options.Database, options.RunDirectory, options.DatabasePasswordFile);
        try
        {
            var spool = new RoundUpdateSpool(Path.Combine(options.RunDirectory, "spool"), journal: null, durableFiles: true);
            var reception = new IntakeReception(node, leader, spool);
            ILogger<IntakeGrpcService> serviceLogger = loggerFactory.CreateLogger<IntakeGrpcService>();
            var service = new IntakeGrpcService(
                options, reception,
                options.Privacy is null ? serviceLogger : new WithheldEventsLogger<IntakeGrpcService>(serviceLogger, IntakeGrpcService.ClientEventIds));
            // Credentials are bound to the stored run; before the leader created it there is nothing to upload for.
            var security = CoordinatorSecurity.Create(options, store, () => string.Empty, TimeProvider.System, loggerFactory);
            ListenOptions? listener = null;
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<ILoggerFactory>(new TransportLogFilter(loggerFactory));
            builder.Services
                .AddGrpc(grpc =>
                {
                    grpc.MaxReceiveMessageSize = options.MaxMessageBytes;
                    grpc.EnableDetailedErrors = false;
                    grpc.CompressionProviders = BoundedDecompression.Providers(options.MaxMessageBytes, security.MaxDecompressionRatio);
                });
            builder.Services.AddSingleton(service);
            builder.Services.AddSingleton<IServiceMethodProvider<IntakeGrpcService>>(new IntakeMethodProvider());
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                GrpcKestrel.ConfigureLimits(kestrel);
                security.ConfigureKestrel(kestrel);
                kestrel.Listen(IPAddress.Parse(options.BindAddress), port, listen =>
                {
                    listener = listen;
                    listen.Protocols = HttpProtocols.Http2;
                    security.ConfigureGrpcEndpoint(listen);
                });
            });
            var app = builder.Build();
            var gate = security.Gate;
            var bounds = security.CallBounds();
            app.UseRouting();
            app.Use(next => http => gate.InvokeAsync(http, next));
            app.Use(next => http => bounds.InvokeAsync(http, next));
            app.MapGrpcService<IntakeGrpcService>();
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            return new IntakeHost(app, store, security, listener!, reception, service);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _security.Dispose();
        _store.Dispose();
    }
}
