using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Evaluation;

/// <summary>
/// The federated-evaluation phase of a round: the new global model is sent to the assigned clients' workers,
/// which score it on each client's held-out data. Completes when every assigned client reported or failed.
/// </summary>
public sealed class EvaluationState
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ClientInfo> _assigned;
    private readonly Dictionary<string, ClientEvaluationResult> _results = new(StringComparer.Ordinal);
    private readonly HashSet<string> _failed = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _allAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;

    public EvaluationState(string runId, long round, ModelSnapshot model, IEnumerable<ClientInfo> clients, DateTimeOffset deadline)
    {
        RunId = runId;
        Round = round;
        Model = model;
        Deadline = deadline;
        _assigned = clients.ToDictionary(c => c.ClientId, StringComparer.Ordinal);
        if (_assigned.Count == 0)
        {
            _allAnswered.TrySetResult();
        }
    }

    public string RunId { get; }

    public long Round { get; }

    public ModelSnapshot Model { get; }

    public DateTimeOffset Deadline { get; }

    /// <summary>W3C traceparent of the federated-evaluation span, handed to workers; null when not traced.</summary>
    public string? TraceParent { get; init; }

    public Task AllAnswered => _allAnswered.Task;

    public IReadOnlyList<string> PendingClientsOf(string workerId)
    {
        lock (_lock)
        {
            return _closed
                ? []
                : _assigned.Values.Where(c => c.WorkerId == workerId && IsPendingLocked(c.ClientId))
                    .Select(c => c.ClientId).Order(StringComparer.Ordinal).ToList();
        }
    }

    public IReadOnlyList<ClientInfo> Pending()
    {
        lock (_lock)
        {
            return _assigned.Values.Where(c => IsPendingLocked(c.ClientId)).ToList();
        }
    }

    /// <summary>Records one client's score; refuses clients not assigned to this worker and implausible figures.</summary>
    public void Record(string workerId, string clientId, double accuracy, double loss, long examples)
    {
        if (!(accuracy is >= 0 and <= 1) || !double.IsFinite(loss) || loss < 0 || examples < 0)
        {
            throw new ArgumentException($"Evaluation of {clientId} is implausible: accuracy {accuracy}, loss {loss}, {examples} examples.");
        }

        lock (_lock)
        {
            if (_closed)
            {
                throw new InvalidOperationException($"The evaluation of round {Round} is closed.");
            }

            if (!_assigned.TryGetValue(clientId, out var client) || client.WorkerId != workerId)
            {
                throw new InvalidOperationException($"Client {clientId} of worker {workerId} was not asked to evaluate round {Round}.");
            }

            // A client without held-out data has answered but has no score to count.
            if (examples == 0)
            {
                _failed.Add(clientId);
            }
            else
            {
                _results[clientId] = new ClientEvaluationResult(clientId, workerId, accuracy, loss, examples);
            }

            CompleteIfAllAnswered();
        }
    }

    /// <summary>
    /// Records that one client could not score the model (e.g. its held-out loss was not finite): it has answered, and
    /// is left out of the scores (the caller logs why). Refuses clients not assigned to this worker.
    /// </summary>
    public void RecordFailure(string workerId, string clientId)
    {
        lock (_lock)
        {
            if (_closed)
            {
                throw new InvalidOperationException($"The evaluation of round {Round} is closed.");
            }

            if (!_assigned.TryGetValue(clientId, out var client) || client.WorkerId != workerId)
            {
                throw new InvalidOperationException($"Client {clientId} of worker {workerId} was not asked to evaluate round {Round}.");
            }

            if (!_results.ContainsKey(clientId))
            {
                _failed.Add(clientId);
                CompleteIfAllAnswered();
            }
        }
    }

    public void Fail(string clientId)
    {
        lock (_lock)
        {
            if (!_closed && _assigned.ContainsKey(clientId) && !_results.ContainsKey(clientId))
            {
                _failed.Add(clientId);
                CompleteIfAllAnswered();
            }
        }
    }

    /// <summary>Refuses later reports and returns the scores received, in client order.</summary>
    public IReadOnlyList<ClientEvaluationResult> Close()
    {
        lock (_lock)
        {
            _closed = true;
            return _results.Values.OrderBy(r => r.ClientId, StringComparer.Ordinal).ToList();
        }
    }

    private bool IsPendingLocked(string clientId) => !_results.ContainsKey(clientId) && !_failed.Contains(clientId);

    private void CompleteIfAllAnswered()
    {
        if (_results.Count + _failed.Count == _assigned.Count)
        {
            _allAnswered.TrySetResult();
        }
    }
}
