using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Storage;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// The id of the run this coordinator serves. Before the round loop has created or resumed the run, the store's
/// run (a resume) or else the orchestrator's new id (a fresh run) is the one it will serve.
/// </summary>
public sealed class RunIdentity
{
    private readonly ICoordinatorStore _store;
    private readonly RoundOrchestrator _orchestrator;
    private string? _stored;

    public RunIdentity(ICoordinatorStore store, RoundOrchestrator orchestrator)
    {
        _store = store;
        _orchestrator = orchestrator;
    }

    public string Current()
    {
        // A stored run never changes, so it is read once; until then each call looks again.
        _stored ??= _store.LoadRun()?.RunId;
        return _stored ?? _orchestrator.RunId;
    }
}
