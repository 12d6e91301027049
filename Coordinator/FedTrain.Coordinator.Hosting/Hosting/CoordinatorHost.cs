using System.Net;
using System.Net.Sockets;
using FedTrain.Coordinator.Evaluation;
using FedTrain.Coordinator.Grpc;
using FedTrain.Coordinator.Hosting.LiveView;
using FedTrain.Coordinator.Intake;
using FedTrain.Coordinator.Models;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Security;
using FedTrain.Coordinator.Storage;
using FedTrain.Coordinator.Strategies;
using FedTrain.Coordinator.Telemetry;
using FedTrain.Core.Data;
using FedTrain.Core.Files;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using FedTrain.Trainer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Hosting;

/// <summary>
/// A running coordinator: Kestrel with a gRPC port (HTTP/2 only, as plaintext gRPC requires) and an HTTP port
/// for status and health, plus the round loop. Dispose stops both.
/// </summary>
public sealed class CoordinatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ICoordinatorStore _store;
    private readonly NativeTrainer _trainer;
    private CoordinatorTelemetry? _telemetry;
    private CoordinatorSecurity? _security;

    private CoordinatorHost(
        WebApplication app, RoundOrchestrator orchestrator, CoordinatorGrpcService service, HealthServiceImpl health,
        ICoordinatorStore store, NativeTrainer trainer, int grpcPort, int httpPort, ILogger logger)
    {
        _app = app;
        Orchestrator = orchestrator;
        Service = service;
        Health = health;
        _store = store;
        _trainer = trainer;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
        IntakeDesk = new IntakeDesk(orchestrator, logger);
    }

    public RoundOrchestrator Orchestrator { get; }

    public CoordinatorGrpcService Service { get; }

    /// <summary>The gRPC health service (<c>grpc.health.v1.Health</c>), for Kubernetes probes.</summary>
    public HealthServiceImpl Health { get; }

    public int GrpcPort { get; }

    /// <summary>The round loop's door for the uploads other nodes of the cluster receive (their tickets and records).</summary>
    public IntakeDesk IntakeDesk { get; }

    public int HttpPort { get; }

    /// <summary>The file holding the HTTP API's operator token; null when authentication is off.</summary>
    public string? OperatorTokenPath { get; private init; }

    /// <summary>Completes when the run has finished (or failed) and workers had their grace period to hear it.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Loads the test set, builds the initial model, binds the ports and starts the round loop.</summary>
    /// <param name="cluster">The cluster this node leads the run in; null for a coordinator of its own (one node, this one).</param>
    public static async Task<CoordinatorHost> StartAsync(
        CoordinatorOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken, ICoordinatorCluster? cluster = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        cluster ??= new StandaloneCluster();
        options.Validate();
        // The run's state (clients' updates, the model, the database) is private to the coordinator's account.
        if (!PrivateFiles.CreateDirectory(options.RunDirectory))
        {
            RunDirectoryLog.NotPrivate(loggerFactory.CreateLogger<CoordinatorHost>(), options.RunDirectory);
        }

        var time = TimeProvider.System;
        var (testSet, preprocessing) = LoadTestSet(options, cancellationToken);
        // A table test set names the run's features (by --feature-columns, or its columns but the label): workers then
        // read their tables by these names, in this order.
        options.FeatureNames ??= preprocessing?.FeatureNames;
        // What raw inputs go through before the model, for `fedtrain export` to carry into the exported module.
        preprocessing?.Write(options.RunDirectory);
        (var module, options.Model) = TorchScriptModule.Prepare(options.Model, options.RunDirectory);
        var trainer = ModelLoader.Create(options.Model, new TrainerOptions("cpu", options.Threads, options.Seed), module?.Source);
        var initial = new float[trainer.ParameterCount];
        trainer.GetParameters(initial);

        var store = CoordinatorStoreFactory.Open(options.Database, options.RunDirectory, options.DatabasePasswordFile);
        // Before anything reads the run's state: from here on a coordinator that held the run before this one (a
        // duplicate, or a paused process that wakes up) can write none of it, so what is read next is final.
        long epoch = await store.TakeLeaseAsync(CoordinatorProcess.Name, cancellationToken).ConfigureAwait(false);
        LeaseLog.Taken(loggerFactory.CreateLogger<CoordinatorHost>(), epoch);
        var registry = new WorkerRegistry(time, options.WorkerTimeout);
        var strategy = await CreateStrategyAsync(options, store, initial.Length, cancellationToken).ConfigureAwait(false);
        var orchestrator = new RoundOrchestrator(
            options, registry, store, new TestSetEvaluator(trainer, testSet), trainer.Manifest, initial, strategy, time,
            loggerFactory.CreateLogger<RoundOrchestrator>())
        {
            IntakeNodes = cluster.IntakeNodes,
        };
        // Under DP the service's per-client events (accepted, refused, failed updates; registrations with example counts)
        // are not logged at all: they would name the sampled clients.
        ILogger<CoordinatorGrpcService> serviceLogger = loggerFactory.CreateLogger<CoordinatorGrpcService>();
        var service = new CoordinatorGrpcService(
            options, orchestrator, registry, store, time,
            options.Privacy is null ? serviceLogger : new WithheldEventsLogger<CoordinatorGrpcService>(serviceLogger, CoordinatorGrpcService.ClientEventIds));
        var security = await CoordinatorSecurity.CreateAsync(options, store, () => orchestrator.RunId, time, loggerFactory, cancellationToken).ConfigureAwait(false);
        var modules = new ModuleDownloadService(module, orchestrator, registry, options.ChunkBytes);
        var health = new HealthServiceImpl();
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus(Protos.CoordinatorMethods.ServiceName, HealthCheckResponse.Types.ServingStatus.Serving);
        // Read first: a bad OTEL_* variable stops the start with its name before anything is created.
        var telemetrySettings = FedTrain.Telemetry.TelemetrySettings.FromEnvironment();
        var telemetry = CoordinatorTelemetry.Start(orchestrator, service, registry, cluster, options);

        var listeners = new CoordinatorListeners();
        var address = IPAddress.Parse(options.BindAddress);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerFactory>(new TransportLogFilter(loggerFactory));
        CoordinatorTelemetry.AddPipelines(builder.Services, listeners.IsGrpc, telemetrySettings, cluster);
        CoordinatorGrpcEndpoints.AddServices(builder.Services, options, service, modules, security, health, orchestrator.Fence);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            GrpcKestrel.ConfigureLimits(kestrel);
            security.ConfigureKestrel(kestrel);
            listeners.Listen(
                kestrel, address, options.GrpcPort, options.HttpPort,
                grpc =>
                {
                    grpc.Protocols = HttpProtocols.Http2;
                    security.ConfigureGrpcEndpoint(grpc);
                },
                http =>
                {
                    http.Protocols = HttpProtocols.Http1;
                    security.ConfigureHttpEndpoint(http);
                });
        });
        var app = builder.Build();
        CoordinatorTelemetry.ExcludeFromRequestMetrics(app, listeners.IsGrpc);
        app.UseWhen(listeners.IsHttp, http => http.Use(next => context => HttpSecurityHeaders.InvokeAsync(context, next)));
        security.UseHttpAuthentication(app, listeners.IsHttp);
        CoordinatorGrpcEndpoints.Map(app, listeners, options, security);
        app.MapGet("/healthz", () => Results.Text(orchestrator.IsFinished ? "finished" : "ok"));
        app.MapGet("/api/status", () => Results.Json(StatusReport.Build(orchestrator, registry)));
        CoordinatorTelemetry.MapMetricsEndpoint(app);
        LiveViewEndpoints.Map(app, orchestrator, registry, cluster, options, time);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var host = new CoordinatorHost(
            app, orchestrator, service, health, store, trainer, listeners.GrpcPort, listeners.HttpPort, loggerFactory.CreateLogger<IntakeDesk>())
        {
            _telemetry = telemetry,
            _security = security,
            OperatorTokenPath = security.OperatorTokenPath,
        };
        // SIGTERM (Kubernetes, Ctrl+C) reaches the web host first; stop the round loop and the long polls with it.
        service.Stopping = host._stopping.Token;
        app.Lifetime.ApplicationStopping.Register(host._stopping.Cancel);
        host.Completion = host.RunAsync(options.FinishGracePeriod);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Completion.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or TimeoutException or RunFencedException)
        {
            // The run's outcome was already reported through Completion; disposal only stops it.
        }

        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _telemetry?.Dispose();
        _security?.Dispose();
        _store.Dispose();
        _trainer.Dispose();
        _stopping.Dispose();
    }

    private async Task RunAsync(TimeSpan gracePeriod)
    {
        await Task.Yield();
        await Orchestrator.RunAsync(_stopping.Token).ConfigureAwait(false);
        // Let polling workers hear that the run is over before the ports close.
        await Task.Delay(gracePeriod, _stopping.Token).ConfigureAwait(false);
    }

    private static (Core.Data.ImageDataset Data, Core.Data.Formats.InputPreprocessing? Preprocessing) LoadTestSet(
        CoordinatorOptions options, CancellationToken cancellationToken)
    {
        if (options.TestDataSource is { } source)
        {
            var contract = new Core.Data.Formats.DataContract(options.Model, options.ClassNames) { Normalization = options.ImageNormalization };
            // In memory: the coordinator scores each round's model with its parameters read in place, from a buffer.
            return ModelData.Load(options.Model, source with { Limit = options.TestLimit ?? source.Limit, Train = false, CacheBytes = null }, contract, cancellationToken);
        }

        var data = ModelData.Load(options.Model, options.TestDataDirectory, train: false, options.TestLimit);
        // IDX images are normalised with Fashion-MNIST's statistics, for a TorchScript module as for the zoo; a language
        // model's bytes are not preprocessed.
        var preprocessing = options.Model.IsLanguageModel
            ? null
            : Core.Data.Formats.InputPreprocessing.ForImages(
                options.ClassNames ?? Enumerable.Range(0, data.Classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList(),
                options.Model.InputShape,
                options.ImageNormalization ?? Core.Data.Formats.ImageNormalization.FashionMnist);
        return (data, preprocessing);
    }

    private static async Task<IAggregationStrategy> CreateStrategyAsync(CoordinatorOptions options, ICoordinatorStore store, int length, CancellationToken cancellationToken)
    {
        if (options.Privacy is { } privacy)
        {
            // A resumed run continues adaptive clipping from the clip norm its last release handed on.
            double? resumeClip = await store.LoadRunAsync(cancellationToken).ConfigureAwait(false) is { } run
                && (await store.LoadPrivacyReleasesAsync(run.RunId, cancellationToken).ConfigureAwait(false)).LastOrDefault(r => r.Mechanism == PrivacyRelease.Model) is { } last
                ? last.NextClipNorm
                : null;
            return new PrivateStrategy(StrategyFactory.CreatePrivate(options.Strategy, privacy, length, resumeClip), privacy, store, options.FractionEvaluate > 0);
        }

        string spool = Path.Combine(options.RunDirectory, "spool");
        PrivateFiles.CreateDirectory(spool);
        // q-FedAvg estimates the Lipschitz constant as 1 / (local step size); SGD momentum β multiplies the effective
        // step by 1 / (1 − β).
        double localStep = options.Training.Optimizer == "sgd"
            ? options.Training.LearningRate / (1 - options.Training.Momentum)
            : options.Training.LearningRate;
        return StrategyFactory.Create(options.Strategy, options.MinFitClients, length, localStep, spool);
    }
}
