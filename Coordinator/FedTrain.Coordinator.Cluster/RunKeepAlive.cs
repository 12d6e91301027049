using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// One node's keep-alive of the run: it calls the run grain once per interval, so that when the leading node dies the
/// grain is activated on a live one (within a membership probe cycle plus one interval) with no worker call needed,
/// and it hears from the leader when the run finished elsewhere.
/// </summary>
/// <remarks>
/// Not an Orleans reminder: reminders fire at most once a minute, and the run would stay unled that long.
/// </remarks>
internal sealed partial class RunKeepAlive : IAsyncDisposable
{
    private readonly IGrainFactory _grains;
    private readonly RunLeadership _leadership;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<RunLeadershipState> _finishedElsewhere = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IntakeAdvert? _intake;
    private readonly Task _calling;

    /// <summary>Starts calling the run grain through <paramref name="grains"/> (this node's silo).</summary>
    /// <param name="grains">This node's silo's grain factory.</param>
    /// <param name="leadership">This node's leadership of the run.</param>
    /// <param name="interval">How often to call.</param>
    /// <param name="logger">Where changes of leader are logged.</param>
    /// <param name="intake">This node's intake port, advertised to the leader with each call; null when it has none.</param>
    public RunKeepAlive(IGrainFactory grains, RunLeadership leadership, TimeSpan interval, ILogger logger, IntakeAdvert? intake = null)
    {
        _grains = grains;
        _leadership = leadership;
        _interval = interval;
        _logger = logger;
        _intake = intake;
        _calling = CallAsync();
    }

    /// <summary>
    /// Completes with <see cref="RunLeadershipState.Finished"/> once this node, standing by, hears that the run finished
    /// on another node; the calls stop then.
    /// </summary>
    public Task<RunLeadershipState> FinishedElsewhere => _finishedElsewhere.Task;

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _calling.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task CallAsync()
    {
        await Task.Yield();
        var run = _grains.GetGrain<IRunGrain>(IRunGrain.Key);
        string? lastLeader = null;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var status = await run.KeepLeadingAsync().WaitAsync(TimeSpan.FromSeconds(5), _stopping.Token).ConfigureAwait(false);
                if (status.Leader != lastLeader)
                {
                    lastLeader = status.Leader;
                    LogLeader(status.Leader, status.State);
                }

                if (status.State == RunLeadershipState.Finished && _leadership.State == RunLeadershipState.Standby)
                {
                    _finishedElsewhere.TrySetResult(RunLeadershipState.Finished);
                    return;
                }

                if (_intake is { } intake)
                {
                    // Each interval, so that a leader that took over hears of this node within one.
                    await run.AdvertiseIntakeAsync(intake).WaitAsync(TimeSpan.FromSeconds(5), _stopping.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException or OperationCanceledException)
            {
                // The leading node died and the cluster has not declared it dead yet: try again next interval.
                LogKeepAliveFailed(ex.Message);
            }

            try
            {
                await Task.Delay(_interval, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 711, Level = LogLevel.Information, Message = "The run is led by {Leader} ({State})")]
    private partial void LogLeader(string leader, RunLeadershipState state);

    [LoggerMessage(EventId = 712, Level = LogLevel.Debug, Message = "Run grain not reachable yet: {Reason}")]
    private partial void LogKeepAliveFailed(string reason);
}
