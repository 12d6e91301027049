using FedTrain.Coordinator.Cluster;

namespace FedTrain.Coordinator.Tests.Cluster;

/// <summary>
/// A coordinator that leads nothing: it "runs" until the test ends its run, so the grain layer can be tested
/// without a model, a database or ports.
/// </summary>
internal sealed class StandInCoordinator(int grpcPort) : ILeadingCoordinator
{
    private readonly TaskCompletionSource<RunLeadershipState> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int GrpcPort { get; } = grpcPort;

    public bool Disposed { get; private set; }

    /// <summary>Ends the run here as a real coordinator would: finished, or failed (<see cref="RunLeadershipState.Stopped"/>).</summary>
    public void End(RunLeadershipState outcome) => _ended.TrySetResult(outcome);

    public Task<RunLeadershipState> WhenEndedAsync(CancellationToken cancellationToken) => _ended.Task.WaitAsync(cancellationToken);

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}
