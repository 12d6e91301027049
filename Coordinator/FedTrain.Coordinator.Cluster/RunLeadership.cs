using FedTrain.Coordinator.Hosting;
using FedTrain.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// One node's side of leading the run: when the run grain activates on this node's silo, it starts the coordinator
/// here (<see cref="CoordinatorHost"/>: the lease, the resume from the database, the round loop, the gRPC and HTTP
/// ports) and runs it until the run is over or another node takes the run's lease. A node leads at most once: one
/// that lost the lease stops, and its process is restarted as a fresh standby (as Kubernetes does).
/// </summary>
/// <remarks>
/// The coordinator starts on the thread pool, not on the grain's scheduler: loading the test set and resuming the
/// run take seconds, and the grain must keep answering the keep-alive calls of the other nodes meanwhile.
/// </remarks>
public sealed partial class RunLeadership : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<ILeadingCoordinator>> _startCoordinator;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<RunLeadershipState> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<CoordinatorHost> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private ILeadingCoordinator? _coordinator;
    private Task? _leading;

    public RunLeadership(CoordinatorOptions options, ILoggerFactory loggerFactory, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        // Cluster is read when the node starts leading: the node sets it after this is built.
        _startCoordinator = cancellationToken => LeadingCoordinatorHost.StartAsync(options, loggerFactory, Cluster, cancellationToken);
        _logger = loggerFactory.CreateLogger<RunLeadership>();
        NodeName = nodeName;
        IntakeNodes = new IntakeNodeDirectory(nodeName, IntakeAdvertLifetime, TimeProvider.System);
    }

    /// <summary>
    /// A node whose leadership starts the coordinator that <paramref name="startCoordinator"/> returns: the seam that
    /// lets the grain layer be tested in an in-process cluster without a model, a database or ports.
    /// </summary>
    internal RunLeadership(Func<CancellationToken, Task<ILeadingCoordinator>> startCoordinator, ILoggerFactory loggerFactory, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(startCoordinator);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _startCoordinator = startCoordinator;
        _logger = loggerFactory.CreateLogger<RunLeadership>();
        NodeName = nodeName;
        IntakeNodes = new IntakeNodeDirectory(nodeName, IntakeAdvertLifetime, TimeProvider.System);
    }

    /// <summary>A node's intake advert counts for three keep-alive intervals of a second: a node silent longer is given no more workers.</summary>
    private static readonly TimeSpan IntakeAdvertLifetime = TimeSpan.FromSeconds(3);

    /// <summary>This node, as the other nodes' logs name it.</summary>
    public string NodeName { get; }

    /// <summary>
    /// The nodes that receive uploads, as their adverts reach this node; used while this node leads (the round loop's
    /// <see cref="Intake.IIntakeNodes"/>).
    /// </summary>
    internal IntakeNodeDirectory IntakeNodes { get; }

    public RunLeadershipState State { get; private set; } = RunLeadershipState.Standby;

    /// <summary>
    /// Called once when this node starts leading, before its coordinator starts: the node stops what it served while
    /// standing by (<see cref="StandbyHost"/>), whose ports the coordinator binds.
    /// </summary>
    public Func<ValueTask>? BeforeLeading { get; set; }

    /// <summary>The cluster as the coordinator's host shows it (nodes, Orleans meters); set by the node before it can lead.</summary>
    public ICoordinatorCluster? Cluster { get; set; }

    /// <summary>The coordinator this node runs while it leads; null on a standby node (and where the coordinator is a test's stand-in).</summary>
    public CoordinatorHost? Host => (_coordinator as LeadingCoordinatorHost)?.Host;

    /// <summary>Why leading ended (the run's failure, the fencing, a start that failed); null otherwise.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Whether the coordinator was stopped from outside (SIGTERM, the node shutting down) before the run ended.</summary>
    public bool Interrupted { get; private set; }

    /// <summary>Whether <see cref="Failure"/> stopped the coordinator before it listened.</summary>
    public bool FailedToStart { get; private set; }

    /// <summary>
    /// Completes with this node's coordinator once it leads and listens; never on a node that stands by (nor where the
    /// coordinator is a test's stand-in: <see cref="State"/> says <see cref="RunLeadershipState.Leading"/> there).
    /// </summary>
    public Task<CoordinatorHost> Started => _started.Task;

    /// <summary>
    /// This node's coordinator once it leads; for a cluster of one, which leads at once. A start that failed (bad
    /// options or data, a port in use) is thrown here as it was thrown by the coordinator.
    /// </summary>
    /// <exception cref="InvalidOperationException">This node stopped without leading and without an error.</exception>
    public async Task<CoordinatorHost> WhenLeadingAsync(CancellationToken cancellationToken)
    {
        if (await Task.WhenAny(Started, Ended).WaitAsync(cancellationToken).ConfigureAwait(false) == Started)
        {
            return await Started.ConfigureAwait(false);
        }

        if (Failure is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        throw new InvalidOperationException($"Node {NodeName} stopped before it led the run.");
    }

    /// <summary>Completes with <see cref="RunLeadershipState.Finished"/> or <see cref="RunLeadershipState.Stopped"/> once this node led and stopped.</summary>
    public Task<RunLeadershipState> Ended => _ended.Task;

    /// <summary>What this node tells the keep-alive callers.</summary>
    public RunLeaderStatus Status => new(
        _coordinator is { } coordinator ? FormattableString.Invariant($"{NodeName} (gRPC port {coordinator.GrpcPort})") : NodeName, State);

    /// <summary>Starts leading the run on this node, once; later calls do nothing.</summary>
    public void Lead()
    {
        lock (_lock)
        {
            if (_leading is not null)
            {
                return;
            }

            State = RunLeadershipState.Starting;
            LogLeading(NodeName);
            _leading = Task.Run(LeadAsync);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_leading is { } leading)
        {
            await leading.ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private async Task LeadAsync()
    {
        var outcome = RunLeadershipState.Stopped;
        try
        {
            if (BeforeLeading is { } handOver)
            {
                await handOver().ConfigureAwait(false);
            }

            var coordinator = await _startCoordinator(_stopping.Token).ConfigureAwait(false);
            await using (coordinator.ConfigureAwait(false))
            {
                _coordinator = coordinator;
                State = RunLeadershipState.Leading;
                if (coordinator is LeadingCoordinatorHost { Host: var host })
                {
                    _started.TrySetResult(host);
                }

                outcome = await coordinator.WhenEndedAsync(_stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The node is shutting down (disposed, or its web host heard SIGTERM): not a failure of the run, which
            // resumes wherever the grain activates next.
            Interrupted = true;
        }
        catch (Exception ex)
        {
            // Kept for the node's owner to report: a start that failed (bad data, a port in use) as the start error
            // it is, a run that failed or lost its lease as such.
            Failure = ex;
            FailedToStart = _coordinator is null;
            LogStopped(NodeName, ex.Message);
        }
        finally
        {
            State = outcome;
            _ended.TrySetResult(outcome);
        }
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Node {Node} leads the run: starting the coordinator here")]
    private partial void LogLeading(string node);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Node {Node} stopped leading the run: {Reason}")]
    private partial void LogStopped(string node, string reason);
}
