using FedTrain.Coordinator.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace FedTrain.Coordinator.Tests.Cluster;

/// <summary>
/// Coordinator nodes as in-process silos of one Orleans test cluster. Each silo has its own service provider and so
/// its own <see cref="RunLeadership"/>, as each node process has, over a <see cref="StandInCoordinatorStarter"/>
/// instead of the real coordinator.
/// </summary>
/// <remarks>
/// <see cref="InProcessTestCluster"/> rather than <see cref="TestCluster"/>: its membership table is shared in memory,
/// where TestCluster keeps it on its primary silo, which therefore could not be the node a test kills.
/// </remarks>
internal sealed class RunGrainCluster : IAsyncDisposable
{
    /// <summary>The most a step of a test may take before it fails: a guard against hanging, not a measurement.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    /// <summary>How often each node's keep-alive calls the grain: once a second in production, faster here to keep the tests short.</summary>
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromMilliseconds(250);

    private readonly InProcessTestCluster _cluster;
    private readonly List<InProcessSiloHandle> _removed = [];
    private readonly Dictionary<string, RunKeepAlive> _keepAlives = [];

    private RunGrainCluster(InProcessTestCluster cluster) => _cluster = cluster;

    /// <summary>The nodes still in the cluster.</summary>
    public IReadOnlyList<RunGrainNode> Nodes => [.. _cluster.Silos.Select(silo => new RunGrainNode(silo))];

    /// <summary>A client outside the nodes (a gateway connection), which production does not have but the grain must serve alike.</summary>
    public IClusterClient Client => _cluster.Client;

    public static async Task<RunGrainCluster> StartAsync(short nodes)
    {
        var builder = new InProcessTestClusterBuilder(nodes);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((silo, siloBuilder) =>
        {
            // The stand-in has no port of its own; naming the silo's keeps every node's answer distinct.
            siloBuilder.Services.AddSingleton(new StandInCoordinatorStarter(silo.SiloPort));
            siloBuilder.Services.AddSingleton(services => new RunLeadership(
                services.GetRequiredService<StandInCoordinatorStarter>().StartAsync, NullLoggerFactory.Instance, silo.SiloName));
            CoordinatorNode.UseRunGrainDirectory(siloBuilder);
            // As a cluster of several nodes is tuned: a lost node is declared dead within seconds.
            CoordinatorNode.TuneMembership(siloBuilder);
        });
        builder.ConfigureSiloHost((_, host) => MembershipTableLink.Insert(host));
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return new RunGrainCluster(cluster);
    }

    /// <summary>Starts every node's keep-alive, as <see cref="CoordinatorNode"/> does once it joined the cluster.</summary>
    public void StartKeepAlives()
    {
        foreach (var node in Nodes)
        {
            _keepAlives.Add(node.Name, new RunKeepAlive(
                node.Silo.ServiceProvider.GetRequiredService<IGrainFactory>(), node.Leadership, KeepAliveInterval, NullLogger.Instance));
        }
    }

    /// <summary>The keep-alive <see cref="StartKeepAlives"/> started on a node.</summary>
    public RunKeepAlive KeepAlive(RunGrainNode node) => _keepAlives[node.Name];

    /// <summary>The first of <paramref name="nodes"/> whose coordinator starts: the one the run grain made lead.</summary>
    public static async Task<RunGrainNode> FirstToLeadAsync(IReadOnlyList<RunGrainNode> nodes)
    {
        var started = await Task.WhenAny(nodes.Select(node => node.Starter.Started)).WaitAsync(Guard);
        return nodes.Single(node => node.Starter.Started == started);
    }

    /// <summary>The node whose silo holds the run grain's activation; null when no silo does.</summary>
    public RunGrainNode? GrainHost()
    {
        var grain = Client.GetGrain<IRunGrain>(IRunGrain.Key).GetGrainId();
        return _cluster.TryGetGrainContext(grain, out var context)
            ? Nodes.Single(node => node.Silo.SiloAddress.Equals(context.Address.SiloAddress))
            : null;
    }

    /// <summary>
    /// Every caller makes its keep-alive call, again and again, until <paramref name="done"/> holds for their answers
    /// (all of them answered); calls that fail while the cluster has not yet declared a lost node dead are retried,
    /// as <see cref="CoordinatorNode"/> retries them. Fails the test after <see cref="Guard"/>.
    /// </summary>
    public static async Task<IReadOnlyList<RunLeaderStatus>> KeepLeadingUntilAsync(
        IReadOnlyList<Func<Task<RunLeaderStatus>>> callers, Func<IReadOnlyList<RunLeaderStatus>, bool> done)
    {
        var deadline = DateTime.UtcNow + Guard;
        Exception? lastFailure = null;
        IReadOnlyList<RunLeaderStatus> answers = [];
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                answers = await Task.WhenAll(callers.Select(call => call()));
                if (done(answers))
                {
                    return answers;
                }
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException or OperationCanceledException)
            {
                lastFailure = ex;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        throw new TimeoutException(
            $"The keep-alive answers did not settle within {Guard}: last answers [{string.Join("; ", answers)}], last failure {lastFailure?.Message}");
    }

    /// <summary>
    /// Crashes a node's silo: it stops at once and tells no one, so it leaves the cluster only when the others' probes
    /// find it dead, as a killed process does.
    /// </summary>
    public async Task CrashAsync(RunGrainNode node)
    {
        await StopKeepAliveAsync(node);
        _removed.Add(node.Silo);
        node.Silo.ServiceProvider.GetRequiredService<MembershipTableLink>().Cut();
        // The silo still tries to record its way out (stopping, then dead) as it stops, and retries a failed write for
        // up to this time, with its network still up: a crashed process gets no such time, so it gives up after one try
        // (zero would mean no limit).
        node.Silo.ServiceProvider.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value.MaxJoinAttemptTime = TimeSpan.FromMilliseconds(1);
        await _cluster.KillSiloAsync(node.Silo);
    }

    /// <summary>Stops a node's silo gracefully: it deactivates its grains and leaves the cluster.</summary>
    public async Task StopAsync(RunGrainNode node)
    {
        await StopKeepAliveAsync(node);
        _removed.Add(node.Silo);
        await _cluster.StopSiloAsync(node.Silo);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var keepAlive in _keepAlives.Values)
        {
            await keepAlive.DisposeAsync();
        }

        await _cluster.DisposeAsync();
        foreach (var silo in _removed)
        {
            await silo.DisposeAsync();
        }
    }

    private async Task StopKeepAliveAsync(RunGrainNode node)
    {
        if (_keepAlives.Remove(node.Name, out var keepAlive))
        {
            await keepAlive.DisposeAsync();
        }
    }
}
