using FedTrain.Coordinator.Cluster;

namespace FedTrain.Coordinator.Tests.Cluster;

/// <summary>
/// One node's way of starting its coordinator when the run grain activates there, in the in-process cluster: it
/// counts the starts and hands out a <see cref="StandInCoordinator"/>, or fails as a real start can (bad data, a port
/// in use).
/// </summary>
internal sealed class StandInCoordinatorStarter(int grpcPort)
{
    private readonly TaskCompletionSource<StandInCoordinator> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _starts;

    /// <summary>What the next start throws; null: it succeeds.</summary>
    public Exception? FailWith { get; set; }

    /// <summary>How often this node started leading.</summary>
    public int Starts => Volatile.Read(ref _starts);

    /// <summary>Completes with this node's coordinator once it started.</summary>
    public Task<StandInCoordinator> Started => _started.Task;

    public Task<ILeadingCoordinator> StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _starts);
        if (FailWith is { } failure)
        {
            return Task.FromException<ILeadingCoordinator>(failure);
        }

        var coordinator = new StandInCoordinator(grpcPort);
        _started.TrySetResult(coordinator);
        return Task.FromResult<ILeadingCoordinator>(coordinator);
    }
}
