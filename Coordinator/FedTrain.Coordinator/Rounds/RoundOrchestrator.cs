using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using FedTrain.Coordinator.Evaluation;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Reporting;
using FedTrain.Coordinator.Storage;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Checkpoints;
using FedTrain.Core.Data;
using FedTrain.Core.Models;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Rounds;

/// <summary>
/// The round loop: wait for workers, select a cohort, publish the assignment, collect updates until everyone
/// answered or the deadline passed, aggregate with FedAvg if the quorum was met, evaluate, checkpoint, commit.
/// A restarted coordinator resumes after the last committed round.
/// </summary>
public sealed partial class RoundOrchestrator
{
    private readonly CoordinatorOptions _options;
    private readonly WorkerRegistry _registry;
    private readonly ICoordinatorStore _store;
    private readonly TestSetEvaluator _evaluator;
    private readonly ParameterManifest _manifest;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WeightedSum _sum;
    private readonly Lock _lock = new();
    private readonly List<RoundResult> _committed = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ModelSnapshot _model;
    private RoundState? _current;

    public RoundOrchestrator(
        CoordinatorOptions options,
        WorkerRegistry registry,
        ICoordinatorStore store,
        TestSetEvaluator evaluator,
        ParameterManifest manifest,
        float[] initialParameters,
        TimeProvider time,
        ILogger<RoundOrchestrator> logger)
    {
        _options = options;
        _registry = registry;
        _store = store;
        _evaluator = evaluator;
        _manifest = manifest;
        _time = time;
        _logger = logger;
        _sum = new WeightedSum(manifest.TotalElements);
        _model = new ModelSnapshot(0, initialParameters);
        RunId = "run-" + time.GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
    }

    /// <summary>Raised (on the round loop's thread) when a round starts: round number and selected workers.</summary>
    public event Action<long, IReadOnlyCollection<string>>? RoundStarted;

    /// <summary>Raised after a round is committed.</summary>
    public event Action<RoundResult>? RoundCommitted;

    public string RunId { get; private set; }

    public ParameterManifest Manifest => _manifest;

    public ModelSnapshot CurrentModel
    {
        get
        {
            lock (_lock)
            {
                return _model;
            }
        }
    }

    /// <summary>The round now collecting updates, or null between rounds.</summary>
    public RoundState? CurrentRound
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    public bool IsFinished { get; private set; }

    public string? FinishReason { get; private set; }

    public IReadOnlyList<RoundResult> CommittedRounds
    {
        get
        {
            lock (_lock)
            {
                return _committed.ToList();
            }
        }
    }

    /// <summary>A task that completes the next time a round starts or ends, or the run finishes.</summary>
    public Task WhenChanged()
    {
        lock (_lock)
        {
            return _changed.Task;
        }
    }

    /// <summary>Runs (or resumes) the whole run. Returns when the last round is committed.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        long firstRound = ResumeOrCreateRun();
        try
        {
            if (firstRound > _options.Rounds)
            {
                Finish("all rounds were already committed");
                return;
            }

            LogWaitingForWorkers(_options.MinWorkers);
            using (var startTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                startTimeout.CancelAfter(_options.StartTimeout);
                try
                {
                    await _registry.WaitForLiveAsync(_options.MinWorkers, startTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException(
                        $"Only {_registry.Live().Count} of {_options.MinWorkers} workers registered within {_options.StartTimeout}.");
                }
            }

            for (long round = firstRound; round <= _options.Rounds; round++)
            {
                var result = await RunRoundWithRetriesAsync(round, cancellationToken).ConfigureAwait(false);
                lock (_lock)
                {
                    _committed.Add(result);
                }

                WriteSummary("running");
                RoundCommitted?.Invoke(result);
                SignalChange();
            }

            Finish("all rounds completed");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Finish("failed: " + ex.Message, "failed");
            throw;
        }
    }

    private async Task<RoundResult> RunRoundWithRetriesAsync(long round, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            var result = await TryRunRoundAsync(round, attempt, cancellationToken).ConfigureAwait(false);
            if (result is not null)
            {
                return result;
            }

            if (attempt >= _options.MaxRoundAttempts)
            {
                throw new InvalidOperationException(
                    $"Round {round} missed its quorum {attempt} times; stopping the run.");
            }
        }
    }

    private async Task<RoundResult?> TryRunRoundAsync(long round, int attempt, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        await _registry.WaitForLiveClientsAsync(_options.MinFitClients, cancellationToken).ConfigureAwait(false);
        var live = _registry.LiveClients();
        var chosen = CohortSelector.Select(
            live.Select(c => c.ClientId).ToList(), _options.FractionFit, _options.MinFitClients,
            _options.Seed ^ (ulong)(round * 1_000_003 + attempt));
        var selected = live.Where(c => chosen.Contains(c.ClientId)).ToList();
        var model = CurrentModel;
        var state = new RoundState(RunId, round, model, selected, _time.GetUtcNow() + _options.RoundTimeout, _sum);
        lock (_lock)
        {
            _current = state;
        }

        LogRoundStarted(round, attempt, selected.Count, selected.Select(c => c.WorkerId).Distinct().Count());
        RoundStarted?.Invoke(round, chosen);
        SignalChange();

        await WaitForUpdatesAsync(state, cancellationToken).ConfigureAwait(false);
        var (accepted, failures) = state.Close();
        lock (_lock)
        {
            _current = null;
        }

        foreach (string failure in failures)
        {
            LogParticipantFailed(round, failure);
        }

        int quorum = Math.Max(1, (int)Math.Ceiling(_options.QuorumFraction * selected.Count));
        if (accepted.Count < quorum)
        {
            LogQuorumMissed(round, accepted.Count, quorum, selected.Count);
            SignalChange();
            return null;
        }

        var parameters = new float[model.ParameterCount];
        _sum.WriteMean(parameters);
        TensorPrimitives.Add(model.Parameters, parameters, parameters);
        var (evaluation, perClass) = _evaluator.Evaluate(parameters);
        string checkpoint = Path.Combine(_options.RunDirectory, "checkpoints", $"round-{round:D4}.safetensors");
        SafetensorsFile.Write(checkpoint, _manifest, parameters, new Dictionary<string, string>
        {
            ["run_id"] = RunId,
            ["round"] = round.ToString(CultureInfo.InvariantCulture),
            ["model"] = _options.Model.ToNativeSpec(),
        });

        var result = new RoundResult(
            round,
            round,
            evaluation.Accuracy,
            evaluation.MeanLoss,
            selected.Count,
            accepted,
            failures,
            _time.GetElapsedTime(started).TotalSeconds,
            model.PayloadBytes,
            perClass,
            checkpoint,
            _time.GetUtcNow());
        _store.CommitRound(RunId, result);
        lock (_lock)
        {
            _model = new ModelSnapshot(round, parameters);
        }

        LogRoundCommitted(round, evaluation.Accuracy, evaluation.MeanLoss, accepted.Count, selected.Count, result.DurationSeconds);
        return result;
    }

    private async Task WaitForUpdatesAsync(RoundState state, CancellationToken cancellationToken)
    {
        // Poll the registry once a second as well: a worker that died mid-round sends nothing, it only goes silent.
        var tick = TimeSpan.FromSeconds(1);
        while (!state.AllAnswered.IsCompleted)
        {
            var remaining = state.Deadline - _time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            await Task.WhenAny(state.AllAnswered, Task.Delay(remaining < tick ? remaining : tick, _time, cancellationToken))
                .ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var client in state.Pending())
            {
                if (_registry.IsGone(client.WorkerId))
                {
                    state.Fail(client.ClientId, $"worker {client.WorkerId} went silent (no heartbeat)");
                }
            }
        }
    }

    private long ResumeOrCreateRun()
    {
        Directory.CreateDirectory(Path.Combine(_options.RunDirectory, "checkpoints"));
        var existing = _store.LoadRun();
        if (existing is null)
        {
            _store.CreateRun(new RunRecord(RunId, JsonSerializer.Serialize(new
            {
                model = _options.Model.ToNativeSpec(),
                training = _options.Training,
                rounds = _options.Rounds,
                seed = _options.Seed,
            }), _time.GetUtcNow(), "running"));
            WriteSummary("running");
            return 1;
        }

        RunId = existing.RunId;
        var rounds = _store.LoadRounds(RunId);
        lock (_lock)
        {
            _committed.AddRange(rounds);
        }

        if (rounds.Count == 0)
        {
            return 1;
        }

        var last = rounds[^1];
        var parameters = SafetensorsFile.Read(last.CheckpointPath, _manifest);
        lock (_lock)
        {
            _model = new ModelSnapshot(last.ModelVersion, parameters);
        }

        LogResumed(RunId, last.Round);
        return last.Round + 1;
    }

    private void Finish(string reason, string status = "finished")
    {
        FinishReason = reason;
        IsFinished = true;
        _store.FinishRun(RunId, status);
        WriteSummary(status);
        LogRunFinished(RunId, reason);
        SignalChange();
    }

    private void WriteSummary(string status) =>
        RunSummaryWriter.Write(
            Path.Combine(_options.RunDirectory, "summary.json"),
            RunSummaryWriter.Build(
                RunId, _options.Model.Kind, Math.Max(_registry.Count, _options.MinWorkers), _registry.ClientCount, CommittedRounds, status));

    private void SignalChange()
    {
        TaskCompletionSource previous;
        lock (_lock)
        {
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Waiting for {Count} workers to register")]
    private partial void LogWaitingForWorkers(int count);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Round {Round} (attempt {Attempt}) started with {Clients} clients on {Workers} workers")]
    private partial void LogRoundStarted(long round, int attempt, int clients, int workers);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Round {Round}: {Failure}")]
    private partial void LogParticipantFailed(long round, string failure);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Round {Round} missed its quorum: {Accepted} updates, {Quorum} needed of {Selected} selected; retrying")]
    private partial void LogQuorumMissed(long round, int accepted, int quorum, int selected);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Round {Round} committed: test accuracy {Accuracy:F4}, loss {Loss:F4}, {Accepted}/{Selected} updates, {Seconds:F1} s")]
    private partial void LogRoundCommitted(long round, double accuracy, double loss, int accepted, int selected, double seconds);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Resuming run {RunId} after committed round {Round}")]
    private partial void LogResumed(string runId, long round);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Run {RunId} finished: {Reason}")]
    private partial void LogRunFinished(string runId, string reason);
}
