using FedTrain.Coordinator.Storage;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// The id of the run this coordinator serves. Before the round loop has created or resumed the run, the store's
/// run (a resume) or else the orchestrator's new id (a fresh run) is the one it will serve.
/// </summary>
public sealed class RunIdentity
{
    private readonly ICoordinatorStore _store;
    private readonly Func<string> _newRun;
    private string? _stored;

    /// <param name="store">Where a created or resumed run is recorded.</param>
    /// <param name="newRun">The id of the run this coordinator would create (the orchestrator's), until one is stored.</param>
    public RunIdentity(ICoordinatorStore store, Func<string> newRun)
    {
        _store = store;
        _newRun = newRun;
    }

    public async ValueTask<string> CurrentAsync(CancellationToken cancellationToken = default)
    {
        // A stored run never changes, so it is read once; until then each call looks again.
        _stored ??= (await _store.LoadRunAsync(cancellationToken).ConfigureAwait(false))?.RunId;
        return _stored ?? _newRun();
    }
}
