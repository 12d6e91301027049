using System.Net;
using System.Net.Sockets;
using FedTrain.Coordinator.Hosting;
using FedTrain.Coordinator.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// A coordinator process as a node of the coordinator cluster: an Orleans silo, and the run's leadership when the run
/// grain is active on it. Every node calls the run grain once per <see cref="ClusterSettings.KeepAliveInterval"/>
/// (<see cref="RunKeepAlive"/>), so that when the leading node dies the grain is activated on a live one (within a
/// membership probe cycle plus one interval) and the run resumes there from the database, with no worker call needed.
/// </summary>
/// <remarks>
/// Standby nodes open no worker-facing port: workers given every node's address reach the one that leads, and on
/// Kubernetes only the leader is ready. Model bytes never travel in Orleans messages; the grain calls carry a status.
/// </remarks>
public sealed partial class CoordinatorNode : IAsyncDisposable
{
    private readonly IHost _silo;
    private readonly RunLeadership _leadership;
    private readonly IGrainFactory _grains;
    private readonly ClusterSettings _cluster;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private RunKeepAlive? _keepAlive;
    private StandbyHost? _standby;

    // Orleans holds an observer's object weakly: this reference keeps it (and so the leader's calls to it) alive.
    private IntakeNodeObserver? _intakeObserver;

    private CoordinatorNode(IHost silo, RunLeadership leadership, ClusterSettings cluster, ILogger logger)
    {
        _silo = silo;
        _leadership = leadership;
        _grains = silo.Services.GetRequiredService<IGrainFactory>();
        _cluster = cluster;
        _logger = logger;
    }

    /// <summary>This node's leadership of the run: its coordinator while it leads.</summary>
    public RunLeadership Leadership => _leadership;

    /// <summary>
    /// Completes when this node is done: it led the run to its end (<see cref="RunLeadershipState.Finished"/>), it stopped
    /// leading (<see cref="RunLeadershipState.Stopped"/>: fenced, failed; see <see cref="RunLeadership.Failure"/>), or it
    /// stood by and heard that the run finished on another node (<see cref="RunLeadershipState.Finished"/>).
    /// </summary>
    public Task<RunLeadershipState> Completion { get; private set; } = Task.FromResult(RunLeadershipState.Standby);

    /// <summary>Starts the silo, joins the cluster, and starts calling the run grain.</summary>
    public static async Task<CoordinatorNode> StartAsync(
        CoordinatorOptions options, ClusterSettings cluster, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        options.Validate();
        cluster.Validate(options);
        if (cluster.Membership is { } membership)
        {
            await OrleansPostgresSchema.EnsureAsync(PostgresConnectionString.Parse(membership), cancellationToken).ConfigureAwait(false);
        }

        var advertised = cluster.Advertised(options);
        int siloPort = cluster.SiloPort ?? (cluster.IsSingleNode ? FreePort(advertised, options.GrpcPort, options.HttpPort) : ClusterSettings.DefaultSiloPort);
        var leadership = new RunLeadership(options, loggerFactory, CoordinatorProcess.Name);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerFactory>(new TransportLogFilter(loggerFactory, "Orleans.", "Microsoft.Orleans.", "Polly", "Microsoft.Hosting.Lifetime"));
        builder.Services.AddSingleton(leadership);
        builder.UseOrleans(silo => ConfigureSilo(silo, cluster, advertised, siloPort, leadership.NodeName));
        var host = builder.Build();
        // A cluster of one has no other node to deal uploads to: its coordinator runs as a standalone one does.
        leadership.Cluster = new SiloCluster(host.Services, cluster.IsSingleNode ? null : leadership.IntakeNodes);
        var node = new CoordinatorNode(host, leadership, cluster, loggerFactory.CreateLogger<CoordinatorNode>());
        try
        {
            // Before the silo joins: from then on any node's keep-alive may activate the run grain here, and this node
            // must then hand its standby ports over to the coordinator, not open them beside it.
            if (!cluster.IsSingleNode)
            {
                await node.StartStandbyAsync(options, loggerFactory, cancellationToken).ConfigureAwait(false);
            }

            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (node._standby is { } standby)
            {
                await standby.DisposeAsync().ConfigureAwait(false);
            }

            host.Dispose();
            await leadership.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        node.LogJoined(leadership.NodeName, cluster.IsSingleNode ? "a cluster of one" : $"cluster {cluster.ClusterId}", FormattableString.Invariant($"{advertised}:{siloPort}"));
        var intake = node.IntakeAdvert(options);
        node._keepAlive = new RunKeepAlive(node._grains, leadership, cluster.KeepAliveInterval, node._logger, intake);
        node.Completion = Task.WhenAny(node.LeadingEndedAsync(), node._keepAlive.FinishedElsewhere).Unwrap();
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_keepAlive is { } keepAlive)
        {
            await keepAlive.DisposeAsync().ConfigureAwait(false);
        }

        // The coordinator first (its workers hear UNAVAILABLE and its round loop stops), then the silo leaves the cluster.
        await _leadership.DisposeAsync().ConfigureAwait(false);
        if (_standby is { } standby)
        {
            await standby.DisposeAsync().ConfigureAwait(false);
        }

        using (var stopWithin = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await _silo.StopAsync(stopWithin.Token).ConfigureAwait(false);
        }

        _silo.Dispose();
        _stopping.Dispose();
    }

    /// <summary>
    /// Opens what this node serves while it stands by (<see cref="StandbyHost"/>: its metrics, and its intake port when
    /// it has one), handed over to the coordinator when the node starts leading.
    /// </summary>
    private async Task StartStandbyAsync(CoordinatorOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var leader = new IntakeLeaderLink(_grains);
        var cluster = _leadership.Cluster!;
        try
        {
            _standby = await StandbyHost.StartAsync(
                options, _cluster.IntakePort, _leadership.NodeName, leader, serveHttp: true, cluster, loggerFactory, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            // Nodes that share a host and an --http-port: only the leader can have it. This one serves no metrics until it leads.
            LogStandbyHttpPortTaken(options.HttpPort, ex.Message);
            _standby = await StandbyHost.StartAsync(
                options, _cluster.IntakePort, _leadership.NodeName, leader, serveHttp: false, cluster, loggerFactory, cancellationToken).ConfigureAwait(false);
        }

        var standby = _standby;
        _leadership.BeforeLeading = () => standby.DisposeAsync();
        if (standby.HttpPort is { } httpPort)
        {
            LogStandbyMetrics(httpPort);
        }
    }

    /// <summary>
    /// What the keep-alive advertises to the leader once the silo has joined: the intake address and the object the
    /// leader asks for partial sums; null without an intake port.
    /// </summary>
    private IntakeAdvert? IntakeAdvert(CoordinatorOptions options)
    {
        if (_standby is not { Reception: { } reception } standby)
        {
            return null;
        }

        _intakeObserver = new IntakeNodeObserver(reception);
        var reference = _grains.CreateObjectReference<IIntakeNodeObserver>(_intakeObserver);
        string endpoint = _cluster.IntakeEndpoint(options, standby.IntakePort!.Value);
        LogIntakeOpen(endpoint);
        return new IntakeAdvert(_leadership.NodeName, endpoint, reference);
    }

    private static void ConfigureSilo(ISiloBuilder silo, ClusterSettings cluster, IPAddress advertised, int siloPort, string nodeName)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = "fedtrain";
        });
        // The membership table and the leader's node list then name nodes as their logs do.
        silo.Configure<SiloOptions>(o => o.SiloName = nodeName);
        UseRunGrainDirectory(silo);
        if (cluster.Membership is not { } membership)
        {
            // No gateway (port 0): nothing outside the process calls grains.
            silo.UseLocalhostClustering(siloPort: siloPort, gatewayPort: 0, serviceId: "fedtrain", clusterId: cluster.ClusterId);
            return;
        }

        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = PostgresConnectionString.Parse(membership);
        });
        silo.ConfigureEndpoints(advertised, siloPort, gatewayPort: 0, listenOnAnyHostAddress: true);
        silo.UseKubernetesHostingWhenAsked(cluster);
        silo.UseSiloTlsWhenAsked(cluster);
        TuneMembership(silo);
    }

    /// <summary>
    /// A dead node is declared dead after two missed one-second probes: the run is led again a few seconds after its
    /// node dies. Two nodes must vote for it where there are three or more (Orleans asks for at most half of the active
    /// nodes, so one vote in a cluster of two): a node whose own CPU is starved, and so misses its probes' answers,
    /// cannot alone declare a healthy leader dead. The prices: a node that stalls for two seconds (a long GC pause, a
    /// starved CPU) is declared dead by the others, stops, and must be restarted, which the run's lease keeps from
    /// costing a committed round; and when two of three nodes crash at once, the survivor's vote alone does not count
    /// until the dead nodes' rows in the membership table go stale (Orleans counts only nodes that still write theirs)
    /// or a restarted node joins and votes with it, so the run is led again within minutes, not seconds.
    /// </summary>
    internal static void TuneMembership(ISiloBuilder silo) =>
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 2;
        });

    /// <summary>
    /// Keeps the run grain (the run's leadership) single while nodes join and leave. Orleans' default directory loses
    /// the entries a dying silo held and hands entries over racily when one joins; the run grain could then activate a
    /// second time on another node, which took the run's lease from a leader that was working fine (seen when a standby
    /// node died mid-run: its death moved the run). The lease kept that from corrupting anything, but it cost the open
    /// round. The distributed directory hands ranges over under locks and, after a crash, recovers the entries from
    /// every live silo instead of forgetting them, so only the leader's own death activates the grain again. Orleans
    /// still marks it experimental (ORLEANSEXP003).
    /// <para>
    /// Its range lease is off. By default the directory refuses new activations of a dead node's grains for 30 s
    /// after the node's failure, and new registrations in a range whose previous owner died before handing it over,
    /// both in case that node is not dead but paused and still working; that held the run unled for about 23 s after
    /// its leader was killed. The run grain is the only grain whose single activation matters here, and the run's
    /// lease already stops a paused leader: every write of the run's state checks the lease's epoch, which the
    /// successor raised, so the wait buys nothing.
    /// </para>
    /// </summary>
    internal static void UseRunGrainDirectory(ISiloBuilder silo)
    {
#pragma warning disable ORLEANSEXP003
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        silo.Configure<GrainDirectoryOptions>(o => o.RangeLeaseDuration = TimeSpan.Zero);
    }

    /// <summary>
    /// When this node led the run to its end, it stays in the cluster for a few keep-alive intervals: the standby
    /// nodes hear that the run finished and stop, instead of finding the grain gone and resuming a finished run.
    /// </summary>
    private async Task<RunLeadershipState> LeadingEndedAsync()
    {
        var outcome = await _leadership.Ended.ConfigureAwait(false);
        if (outcome == RunLeadershipState.Finished && !_cluster.IsSingleNode)
        {
            try
            {
                await Task.Delay(3 * _cluster.KeepAliveInterval, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped meanwhile: nothing more to wait for.
            }
        }

        return outcome;
    }

    /// <summary>
    /// A free port for a cluster of one: no other node needs to know it, and Orleans cannot bind port 0 itself. Never one
    /// of <paramref name="reserved"/>, the coordinator's own ports: those are bound only once the node leads, so the
    /// system may offer one of them as free now (a worker port chosen free by its caller was taken by the silo so).
    /// </summary>
    private static int FreePort(IPAddress address, params int[] reserved)
    {
        // A refused port stays held until one is found, so the system cannot offer it again.
        var held = new List<TcpListener>();
        try
        {
            while (true)
            {
                var listener = new TcpListener(address, 0);
                held.Add(listener);
                listener.Start();
                int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (!reserved.Contains(port))
                {
                    return port;
                }
            }
        }
        finally
        {
            foreach (var listener in held)
            {
                listener.Dispose();
            }
        }
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Information, Message = "Node {Node} joined {Cluster} (silo {Endpoint})")]
    private partial void LogJoined(string node, string cluster, string endpoint);

    [LoggerMessage(EventId = 713, Level = LogLevel.Information, Message = "Receiving uploads for the leading node at {Endpoint}")]
    private partial void LogIntakeOpen(string endpoint);

    [LoggerMessage(EventId = 715, Level = LogLevel.Information, Message = "Standing by: metrics on HTTP port {Port} until this node leads")]
    private partial void LogStandbyMetrics(int port);

    [LoggerMessage(EventId = 714, Level = LogLevel.Warning, Message = "HTTP port {Port} is taken (another node on this host?): this node serves no metrics until it leads ({Reason})")]
    private partial void LogStandbyHttpPortTaken(int port, string reason);
}
