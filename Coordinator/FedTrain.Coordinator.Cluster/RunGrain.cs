namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// The run grain: its activation is the run's leadership. It holds no state of its own (the run's state is in the
/// database, fenced by the lease); activating it makes its silo's node lead, and its answers tell every node who does.
/// </summary>
internal sealed class RunGrain(RunLeadership leadership) : Grain, IRunGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        leadership.Lead();
        return Task.CompletedTask;
    }

    public Task<RunLeaderStatus> KeepLeadingAsync() => Task.FromResult(leadership.Status);
}
