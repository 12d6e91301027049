using System.Diagnostics;
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
using FedTrain.Core.Faults;
using FedTrain.Core.Fairness;
using FedTrain.Core.Models;
using FedTrain.Coordinator.Strategies;
using FedTrain.Coordinator.Telemetry;
using FedTrain.Coordinator.Spool;
using FedTrain.Telemetry;
using FedTrain.Privacy;
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
    private readonly IAggregationStrategy _strategy;
    private readonly PrivacyBudget? _budget;
    private readonly Lock _lock = new();
    private readonly List<RoundResult> _committed = [];
    private readonly WorkerQuarantine _quarantine;
    private readonly RoundUpdateSpool _updateSpool;
    private readonly PoissonCohorts? _cohorts;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ModelSnapshot _model;
    private RoundState? _current;
    private EvaluationState? _evaluation;

    public RoundOrchestrator(
        CoordinatorOptions options,
        WorkerRegistry registry,
        ICoordinatorStore store,
        TestSetEvaluator evaluator,
        ParameterManifest manifest,
        float[] initialParameters,
        IAggregationStrategy strategy,
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
        _strategy = strategy;
        _budget = options.Privacy is { } privacy ? new PrivacyBudget(privacy.TargetEpsilon, privacy.Delta) : null;
        _model = new ModelSnapshot(0, initialParameters);
        _quarantine = new WorkerQuarantine(options.QuarantineAfterFailures, options.QuarantineRounds);
        _updateSpool = new RoundUpdateSpool(Path.Combine(options.RunDirectory, "spool"), store as IUpdateJournal);
        _cohorts = options.Privacy is { } dp ? new PoissonCohorts(store, dp.SamplingRate) : null;
        RunId = "run-" + time.GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
    }

    /// <summary>Raised (on the round loop's thread) when a round starts: round number and selected workers.</summary>
    public event Action<long, IReadOnlyCollection<string>>? RoundStarted;

    /// <summary>Raised after a round is committed.</summary>
    public event Action<RoundResult>? RoundCommitted;

    /// <summary>Raised when a round attempt ends without a commit: round number and a fixed reason word (<c>quorum_missed</c>).</summary>
    public event Action<long, string>? RoundAttemptFailed;

    /// <summary>Raised when the strategy has finished a round's aggregate: how long finishing took.</summary>
    public event Action<TimeSpan>? AggregateFinished;

    public string RunId { get; private set; }

    /// <summary>ε spent so far, counting every noised release (null without DP).</summary>
    public double? SpentEpsilon => _budget?.SpentEpsilon;

    /// <summary>The strategy's name and parameters.</summary>
    public string StrategyDescription => _strategy.Description;

    /// <summary>Whether workers must report each client's global-model loss before training.</summary>
    public bool NeedsGlobalLoss => _strategy.NeedsGlobalLoss;

    /// <summary>The strategy's FedProx μ for the workers' proximal term (0 unless fedprox).</summary>
    public double ProximalMu => _strategy.ProximalMu;

    public ParameterManifest Manifest => _manifest;

    /// <summary>Where uploads are received and the open round's verified updates are kept until its commit.</summary>
    public RoundUpdateSpool UpdateSpool => _updateSpool;

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

    /// <summary>The federated evaluation now collecting scores, or null.</summary>
    public EvaluationState? CurrentEvaluation
    {
        get
        {
            lock (_lock)
            {
                return _evaluation;
            }
        }
    }

    public bool IsFinished { get; private set; }

    /// <summary>Workers that keep failing and sit out rounds for a while.</summary>
    public WorkerQuarantine Quarantine => _quarantine;

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

            if (_store.LoadPendingRound(RunId) is { } pending && pending.Round == firstRound
                && await ResumePendingRoundAsync(pending, cancellationToken).ConfigureAwait(false) is { } resumed)
            {
                OnCommitted(resumed);
                firstRound++;
            }

            for (long round = firstRound; round <= _options.Rounds; round++)
            {
                if (_options.Privacy is { } privacy && !_budget!.CanAfford(privacy.SamplingRate, privacy.NoiseMultiplier))
                {
                    Finish(string.Create(
                        CultureInfo.InvariantCulture,
                        $"privacy budget reached: {_budget.SpentEpsilon:F4} of epsilon {privacy.TargetEpsilon} spent after {round - 1} rounds; round {round} would reach {_budget.EpsilonAfter(privacy.SamplingRate, privacy.NoiseMultiplier):F4}"));
                    return;
                }

                OnCommitted(await RunRoundWithRetriesAsync(round, cancellationToken).ConfigureAwait(false));
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
        // One trace per round, its attempts included.
        using var trace = CoordinatorActivities.StartRound(RunId, round);
        // Under DP a round a crash interrupted resumes the attempt it was in, with that attempt's recorded cohort.
        var resumed = _cohorts?.Resumable(RunId, round, CurrentModel.Version);
        for (int attempt = resumed?.Attempt ?? 1; ; attempt++)
        {
            trace?.SetTag("fedtrain.attempts", attempt);
            var result = await TryRunRoundAsync(round, attempt, resumed, cancellationToken).ConfigureAwait(false);
            resumed = null;
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

    /// <param name="resumed">Under DP, the recorded cohort of this attempt that a crashed coordinator left open; null draws afresh.</param>
    private async Task<RoundResult?> TryRunRoundAsync(long round, int attempt, SampledCohort? resumed, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var selection = CoordinatorActivities.Start(CoordinatorActivities.Selection);
        await _registry.WaitForLiveClientsAsync(_options.MinFitClients, cancellationToken).ConfigureAwait(false);
        var live = EligibleClients(round);
        var model = CurrentModel;
        List<ClientInfo> selected;
        if (_cohorts is not null)
        {
            // Under DP the cohort is a Poisson sample (each client independently with probability q), the sampling the
            // accountant assumes, drawn from the secure generator and recorded before any assignment goes out.
            var cohort = resumed ?? _cohorts.Draw(RunId, round, attempt, model.Version, live);
            selected = PoissonCohorts.Clients(cohort, _registry);
            if (resumed is not null)
            {
                LogCohortResumed(round, attempt, selected.Count);
                await PoissonCohorts.WaitForWorkersAsync(selected, _registry, _options.WorkerTimeout, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            var chosenSet = CohortSelector.Select(
                live.Select(c => c.ClientId).ToList(), _options.FractionFit, _options.MinFitClients,
                _options.Seed ^ (ulong)(round * 1_000_003 + attempt)).ToHashSet(StringComparer.Ordinal);
            selected = live.Where(c => chosenSet.Contains(c.ClientId)).ToList();
        }

        IReadOnlyList<string> chosen = selected.Select(c => c.ClientId).ToList();
        var kept = RestoreKeptUpdates(round, model, resumed is not null, ref selected);
        using var aggregator = _strategy.Begin(round, selected.Count, _registry.ClientCount);
        selection?.SetTag("fedtrain.clients.live", live.Count);
        selection?.SetTag("fedtrain.clients.selected", selected.Count);
        selection?.Dispose();
        var state = new RoundState(RunId, round, model, selected, _time.GetUtcNow() + _options.RoundTimeout, aggregator)
        {
            Encoding = _options.UpdateCompression,
            TopKFraction = _options.UpdateTopKFraction,
            TraceParent = TraceParent.Of(Activity.Current),
        };
        state.Restore(kept);
        lock (_lock)
        {
            _current = state;
        }

        LogRoundStarted(round, attempt, selected.Count, selected.Select(c => c.WorkerId).Distinct().Count());
        RoundStarted?.Invoke(round, chosen);
        SignalChange();

        await WaitForAnswersAsync(
            state.AllAnswered, state.Deadline, state.Pending,
            client => state.Fail(client.ClientId, $"worker {client.WorkerId} went silent (no heartbeat)"),
            cancellationToken).ConfigureAwait(false);
        var (accepted, failures) = state.Close();
        await state.RecordsSettled.ConfigureAwait(false);
        lock (_lock)
        {
            _current = null;
        }

        foreach (string failure in failures)
        {
            LogParticipantFailed(round, failure);
        }

        RecordAssignments(round, selected, accepted, failures);

        int quorum = (int)Math.Ceiling(_options.QuorumFraction * selected.Count);
        if (accepted.Count < quorum || (accepted.Count == 0 && _options.Privacy is null))
        {
            LogQuorumMissed(round, accepted.Count, quorum, selected.Count);
            RoundAttemptFailed?.Invoke(round, "quorum_missed");
            // The cohort first: a crash between the two must not resume this attempt, whose updates are gone.
            _cohorts?.Close(RunId, round, attempt, PoissonCohorts.QuorumMissed);
            _updateSpool.Discard(RunId, round);
            SignalChange();
            return null;
        }

        FaultInjection.Reached("aggregation", round);
        var aggregation = CoordinatorActivities.Start(CoordinatorActivities.Aggregation);
        aggregation?.SetTag("fedtrain.updates", accepted.Count);
        long aggregationStarted = Stopwatch.GetTimestamp();
        float[] parameters;
        AggregationOutcome outcome;
        if (aggregator is IOwnedResultAggregator owned)
        {
            outcome = owned.FinishOwned(model.Parameters, out parameters);
        }
        else
        {
            parameters = new float[model.ParameterCount];
            outcome = aggregator.Finish(model.Parameters, parameters);
        }

        AggregateFinished?.Invoke(Stopwatch.GetElapsedTime(aggregationStarted));
        aggregation?.SetTag("fedtrain.applied", outcome.Applied);
        aggregation?.Dispose();
        if (outcome.Applied && UpdateChecks.IndexOfNonFinite(parameters) is >= 0 and long at)
        {
            // Finite updates can still sum past float range (e.g. amplified attacks); never publish such a model.
            outcome = outcome with { Applied = false, SkipReason = $"the aggregate holds a non-finite value at parameter {at}" };
        }
        if (!outcome.Applied)
        {
            // The rule cannot give a trustworthy aggregate from this cohort: keep the model rather than aggregate wrongly.
            LogRoundSkipped(round, outcome.SkipReason ?? "no reason given");
            model.Parameters.CopyTo(parameters);
        }

        var next = new ModelSnapshot(round, parameters);
        string checkpoint = WriteCheckpoint(round, model, next, parameters);
        var release = outcome.Privacy is { } noised
            ? new PrivacyRelease(round, attempt, _options.Privacy!.SamplingRate, noised.NoiseMultiplier, noised.ClipNorm, noised.NextClipNorm)
            : null;
        var pending = new PendingRound(
            round, attempt, selected.Count, accepted, failures, _time.GetElapsedTime(started).TotalSeconds,
            Core.Compression.EncodedLayout.EncodedBytesOfChoice(_options.UpdateCompression, model.ParameterCount, _options.UpdateTopKFraction), checkpoint)
        {
            SkipReason = outcome.Applied ? null : outcome.SkipReason,
            Epsilon = release is null ? null : _budget!.EpsilonAfter(release.SamplingRate, release.NoiseMultiplier),
            ClipNorm = outcome.Privacy?.ClipNorm,
        };
        // Account before anything noised leaves this process (a crash after this line can only over-count), and keep
        // the noised model with its release: a restart finishes this round from it instead of releasing a second,
        // differently noised model of the same round.
        using (var privacySpan = release is null ? null : CoordinatorActivities.Start(CoordinatorActivities.Privacy))
        {
            privacySpan?.SetTag("fedtrain.noise_multiplier", release?.NoiseMultiplier);
            privacySpan?.SetTag("fedtrain.clip_norm", release?.ClipNorm);
            _store.SavePendingRound(RunId, pending, release);
            if (release is not null)
            {
                // Not inside SetTag's arguments: with no listener the span is null and `?.` would skip the commit.
                double spent = _budget!.Commit(release.SamplingRate, release.NoiseMultiplier);
                privacySpan?.SetTag("fedtrain.epsilon", spent);
            }
        }

        return await CompleteRoundAsync(pending, next, parameters, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Evaluates an aggregated round's model (centrally and on clients), then commits the round.</summary>
    private async Task<RoundResult> CompleteRoundAsync(PendingRound pending, ModelSnapshot next, float[] parameters, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var evaluationSpan = CoordinatorActivities.Start(CoordinatorActivities.Evaluation);
        var (evaluation, perClass) = _evaluator.Evaluate(parameters);
        evaluationSpan?.SetTag("fedtrain.test_accuracy", evaluation.Accuracy);
        var clientEvaluations = await EvaluateOnClientsAsync(next, pending.Attempt, cancellationToken).ConfigureAwait(false);
        evaluationSpan?.Dispose();
        FaultInjection.Reached("commit", pending.Round);
        var result = new RoundResult(
            pending.Round,
            pending.Round,
            evaluation.Accuracy,
            evaluation.MeanLoss,
            pending.Selected,
            pending.Participants,
            pending.Failures,
            pending.DurationSeconds + _time.GetElapsedTime(started).TotalSeconds,
            pending.UpdateBytes,
            perClass,
            pending.CheckpointPath,
            _time.GetUtcNow())
        {
            ClientEvaluations = clientEvaluations,
            SkipReason = pending.SkipReason,
            Epsilon = pending.Epsilon,
            ClipNorm = pending.ClipNorm,
            Fairness = clientEvaluations.Count == 0
                ? null
                : FairnessMetrics.Compute(clientEvaluations.Select(e => e.Accuracy).ToArray()),
        };
        _store.CommitRound(RunId, result);
        _cohorts?.Close(RunId, pending.Round, pending.Attempt, PoissonCohorts.Committed);
        _updateSpool.Discard(RunId, pending.Round);
        ModelSnapshot retired;
        lock (_lock)
        {
            retired = _model;
            _model = next;
        }

        // The retired model's buffer becomes the strategy's next sum: no fresh model-sized pages per round.
        (_strategy as IModelBufferRecycler)?.Recycle(retired.Buffer);

        LogRoundCommitted(pending.Round, evaluation.Accuracy, evaluation.MeanLoss, pending.Participants.Count, pending.Selected, result.DurationSeconds);
        return result;
    }

    /// <summary>
    /// The updates a crashed coordinator kept for this round, counted once and not asked again. Without DP their
    /// clients are put into the cohort in place of as many fresh picks. Under DP the cohort is the round's recorded
    /// Poisson sample: only a resumed cohort's own clients' updates are used (clipped and folded like fresh ones), and
    /// a freshly drawn cohort starts with none.
    /// </summary>
    private IReadOnlyList<(Storage.KeptUpdate Update, Core.Aggregation.SpooledUpdate File)> RestoreKeptUpdates(
        long round, ModelSnapshot model, bool cohortResumed, ref List<ClientInfo> selected)
    {
        if (_options.Privacy is not null && !cohortResumed)
        {
            _updateSpool.Discard(RunId, round);
            return [];
        }

        var kept = _updateSpool.Restore(
            RunId, round, model.Version, model.ParameterCount, (update, reason) => LogKeptUpdateUnusable(round, update.ClientId, reason),
            _options.UpdateCompression);
        if (_options.Privacy is not null)
        {
            var cohort = selected.Select(c => c.ClientId).ToHashSet(StringComparer.Ordinal);
            kept = KeepCohortMembers(round, kept, cohort);
            if (kept.Count > 0)
            {
                // A kept update counts for the worker that sent it, even if its client has moved since.
                var senders = kept.ToDictionary(k => k.Update.ClientId, k => k.Update.WorkerId, StringComparer.Ordinal);
                selected = selected.Select(c => senders.TryGetValue(c.ClientId, out string? sender) ? c with { WorkerId = sender } : c).ToList();
                LogResumedWithKeptUpdates(round, kept.Count);
            }

            return kept;
        }

        if (kept.Count == 0)
        {
            return kept;
        }

        var keptIds = kept.Select(k => k.Update.ClientId).ToHashSet(StringComparer.Ordinal);
        var fromLive = selected.ToDictionary(c => c.ClientId, StringComparer.Ordinal);
        int target = Math.Max(selected.Count, kept.Count);
        selected = kept
            .Select(k => new ClientInfo(
                k.Update.ClientId, k.Update.WorkerId, k.Update.ExampleCount,
                fromLive.TryGetValue(k.Update.ClientId, out var live) ? live.LabelHistogram : []))
            .Concat(selected.Where(c => !keptIds.Contains(c.ClientId)).Take(target - kept.Count))
            .ToList();
        LogResumedWithKeptUpdates(round, kept.Count);
        return kept;
    }

    /// <summary>The kept updates of the cohort's clients; any other (there should be none) is closed and not used.</summary>
    private List<(Storage.KeptUpdate Update, Core.Aggregation.SpooledUpdate File)> KeepCohortMembers(
        long round, IReadOnlyList<(Storage.KeptUpdate Update, Core.Aggregation.SpooledUpdate File)> kept, HashSet<string> cohort)
    {
        var members = new List<(Storage.KeptUpdate Update, Core.Aggregation.SpooledUpdate File)>(kept.Count);
        foreach (var entry in kept)
        {
            if (cohort.Contains(entry.Update.ClientId))
            {
                members.Add(entry);
            }
            else
            {
                entry.File.Dispose();
                LogKeptUpdateUnusable(round, entry.Update.ClientId, "its client is not in the round's recorded cohort");
            }
        }

        return members;
    }

    /// <summary>
    /// Finishes a round that a crashed coordinator had aggregated and checkpointed but not committed. Null when its
    /// checkpoint cannot be read: the round is then trained again (its release, if any, stays counted).
    /// </summary>
    private async Task<RoundResult?> ResumePendingRoundAsync(PendingRound pending, CancellationToken cancellationToken)
    {
        float[] parameters;
        try
        {
            parameters = SafetensorsFile.Read(pending.CheckpointPath, _manifest);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            LogPendingDiscarded(pending.Round, ex.Message);
            return null;
        }

        LogPendingResumed(pending.Round, pending.Attempt, pending.Participants.Count);
        return await CompleteRoundAsync(pending, new ModelSnapshot(pending.Round, parameters), parameters, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the round's model atomically. Its metadata chains it to the model the round started from, so the
    /// whole history can be checked from the files alone.
    /// </summary>
    private string WriteCheckpoint(long round, ModelSnapshot parent, ModelSnapshot next, float[] parameters)
    {
        string checkpoint = Path.Combine(_options.RunDirectory, "checkpoints", $"round-{round:D4}.safetensors");
        SafetensorsFile.Write(
            checkpoint,
            _manifest,
            parameters,
            new Dictionary<string, string>
            {
                ["run_id"] = RunId,
                ["round"] = round.ToString(CultureInfo.InvariantCulture),
                ["model"] = _options.Model.ToNativeSpec(),
                ["sha256"] = Convert.ToHexStringLower(next.Sha256),
                ["parent_version"] = parent.Version.ToString(CultureInfo.InvariantCulture),
                ["parent_sha256"] = Convert.ToHexStringLower(parent.Sha256),
            },
            () => FaultInjection.Reached("checkpoint", round));
        return checkpoint;
    }

    private void OnCommitted(RoundResult result)
    {
        lock (_lock)
        {
            _committed.Add(result);
        }

        WriteSummary("running");
        RoundCommitted?.Invoke(result);
        SignalChange();
    }

    /// <summary>Live clients, less those of quarantined workers unless that would leave too few to train.</summary>
    private IReadOnlyList<ClientInfo> EligibleClients(long round)
    {
        var live = _registry.LiveClients();
        var eligible = live.Where(c => !_quarantine.IsQuarantined(c.WorkerId, round)).ToList();
        if (eligible.Count == live.Count)
        {
            return live;
        }

        if (eligible.Count < _options.MinFitClients)
        {
            // Quarantine must never stall the run: with too few healthy clients, everyone trains.
            LogQuarantineWaived(round, eligible.Count, _options.MinFitClients);
            return live;
        }

        return eligible;
    }

    /// <summary>
    /// Feeds the quarantine (a worker's assignment failed when none of its selected clients' updates was accepted) and
    /// saves its state, so that a restarted coordinator keeps the same workers out.
    /// </summary>
    private void RecordAssignments(long round, IReadOnlyList<ClientInfo> selected, IReadOnlyList<ParticipantResult> accepted, IReadOnlyList<string> failures)
    {
        if (selected.Count == 0)
        {
            return;
        }

        var delivered = accepted.Select(p => p.WorkerId).ToHashSet(StringComparer.Ordinal);
        foreach (var clients in selected.GroupBy(c => c.WorkerId, StringComparer.Ordinal))
        {
            // Failures read "CLIENT: what went wrong"; the worker's first one says why its assignment failed.
            string? failure = clients.Select(c => failures.FirstOrDefault(f => f.StartsWith(c.ClientId + ": ", StringComparison.Ordinal)))
                .FirstOrDefault(f => f is not null);
            string reason = string.Create(CultureInfo.InvariantCulture, $"round {round}: {failure ?? "no update accepted"}");
            if (_quarantine.RecordAssignment(clients.Key, round, failed: !delivered.Contains(clients.Key), reason) is { } through)
            {
                LogWorkerQuarantined(clients.Key, _options.QuarantineAfterFailures, round + 1, through);
            }
        }

        _store.SaveQuarantine(RunId, _quarantine.Entries());
    }

    /// <summary>
    /// Federated evaluation: the new model goes to a sample of the live clients, each scores it on its held-out
    /// data. Clients that do not answer in time are left out of the fairness figures, not waited for.
    /// </summary>
    private async Task<IReadOnlyList<ClientEvaluationResult>> EvaluateOnClientsAsync(ModelSnapshot model, int attempt, CancellationToken cancellationToken)
    {
        if (_options.FractionEvaluate <= 0)
        {
            return [];
        }

        var live = _registry.LiveClients();
        var chosen = CohortSelector.Select(
            live.Select(c => c.ClientId).ToList(), _options.FractionEvaluate, 1, _options.Seed ^ (ulong)(model.Version * 7_000_003 + attempt));
        using var span = CoordinatorActivities.Start(CoordinatorActivities.FederatedEvaluation);
        var evaluation = new EvaluationState(RunId, model.Version, model, live.Where(c => chosen.Contains(c.ClientId)), _time.GetUtcNow() + _options.EvaluationTimeout)
        {
            TraceParent = TraceParent.Of(Activity.Current),
        };
        lock (_lock)
        {
            _evaluation = evaluation;
        }

        SignalChange();
        await WaitForAnswersAsync(
            evaluation.AllAnswered, evaluation.Deadline, evaluation.Pending, client => evaluation.Fail(client.ClientId), cancellationToken)
            .ConfigureAwait(false);
        var results = evaluation.Close();
        lock (_lock)
        {
            _evaluation = null;
        }

        return results;
    }

    /// <summary>Waits until every client answered or the deadline passed; clients of silent workers are failed.</summary>
    private async Task WaitForAnswersAsync(
        Task allAnswered, DateTimeOffset deadline, Func<IReadOnlyList<ClientInfo>> pending, Action<ClientInfo> fail, CancellationToken cancellationToken)
    {
        // Poll the registry once a second as well: a worker that died mid-round sends nothing, it only goes silent.
        var tick = TimeSpan.FromSeconds(1);
        while (!allAnswered.IsCompleted)
        {
            var remaining = deadline - _time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            await Task.WhenAny(allAnswered, Task.Delay(remaining < tick ? remaining : tick, _time, cancellationToken))
                .ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var client in pending())
            {
                if (_registry.IsGone(client.WorkerId))
                {
                    fail(client);
                }
            }
        }
    }

    private long ResumeOrCreateRun()
    {
        Core.Files.PrivateFiles.CreateDirectory(Path.Combine(_options.RunDirectory, "checkpoints"));
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
        var quarantine = _store.LoadQuarantine(RunId);
        _quarantine.Restore(quarantine);
        if (quarantine.Count > 0)
        {
            LogQuarantineRestored(quarantine.Count(q => q.QuarantinedThrough is not null), quarantine.Count(q => q.ConsecutiveFailures > 0));
        }

        // Every noised release counts, committed or not: its noise was already seen.
        foreach (var release in _store.LoadPrivacyReleases(RunId))
        {
            _budget?.Commit(release.SamplingRate, release.NoiseMultiplier);
        }

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

    private void WriteSummary(string status)
    {
        var rounds = CommittedRounds;
        RunSummaryWriter.WriteClientTable(Path.Combine(_options.RunDirectory, "clients.csv"), rounds);
        var summary = RunSummaryWriter.Build(
            RunId, _options.Model.Kind, Math.Max(_registry.Count, _options.MinWorkers), _registry.ClientCount, _strategy.Description,
            PrivacySummary(), rounds, status);
        summary["update_compression"] = Core.Compression.UpdateCompression.Describe(_options.UpdateCompression, _options.UpdateTopKFraction);
        RunSummaryWriter.Write(Path.Combine(_options.RunDirectory, "summary.json"), summary);
    }

    private System.Text.Json.Nodes.JsonObject? PrivacySummary() => _options.Privacy is not { } privacy
        ? null
        : new System.Text.Json.Nodes.JsonObject
        {
            ["mechanism"] = "dp-fedavg (user level, Poisson sampling, fixed denominator)",
            ["noise_multiplier"] = privacy.NoiseMultiplier,
            ["clip_norm"] = privacy.AdaptiveClipping ? "adaptive" : privacy.ClipNorm,
            ["initial_clip_norm"] = privacy.AdaptiveClipping ? privacy.InitialClipNorm : null,
            ["target_unclipped_quantile"] = privacy.AdaptiveClipping ? privacy.TargetUnclippedQuantile : null,
            ["sampling_rate"] = privacy.SamplingRate,
            ["delta"] = privacy.Delta,
            ["target_epsilon"] = privacy.TargetEpsilon,
            ["spent_epsilon"] = _budget?.SpentEpsilon,
            ["accountant"] = "RDP of the Sampled Gaussian Mechanism, improved RDP-to-(epsilon, delta) conversion",
        };

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

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Round {Round} skipped, the model stays as it was: {Reason}")]
    private partial void LogRoundSkipped(long round, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Resuming run {RunId} after committed round {Round}")]
    private partial void LogResumed(string runId, long round);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Run {RunId} finished: {Reason}")]
    private partial void LogRunFinished(string runId, string reason);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "Round {Round} was aggregated (attempt {Attempt}, {Participants} updates) before a restart; finishing it from its checkpoint")]
    private partial void LogPendingResumed(long round, int attempt, int participants);

    [LoggerMessage(EventId = 109, Level = LogLevel.Warning, Message = "Round {Round} was aggregated before a restart but its checkpoint is unreadable ({Reason}); training it again")]
    private partial void LogPendingDiscarded(long round, string reason);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Worker {WorkerId} failed {Failures} assignments in a row; quarantined for rounds {From} to {Through}")]
    private partial void LogWorkerQuarantined(string workerId, int failures, long from, long through);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Round {Round}: only {Eligible} clients outside quarantine, {Needed} needed; selecting from all live clients")]
    private partial void LogQuarantineWaived(long round, int eligible, int needed);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "Round {Round} resumes with {Count} updates kept before the restart; their clients are not asked again")]
    private partial void LogResumedWithKeptUpdates(long round, int count);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "Round {Round}: the kept update of client {ClientId} is not used: {Reason}")]
    private partial void LogKeptUpdateUnusable(long round, string clientId, string reason);

    [LoggerMessage(EventId = 114, Level = LogLevel.Information, Message = "Round {Round} (attempt {Attempt}) resumes the Poisson-sampled cohort of {Clients} clients recorded before the restart; no new sample is drawn")]
    private partial void LogCohortResumed(long round, int attempt, int clients);

    [LoggerMessage(EventId = 115, Level = LogLevel.Information, Message = "Quarantine restored from the store: {Quarantined} workers with a quarantine on record, {Failing} with failed assignments in a row")]
    private partial void LogQuarantineRestored(int quarantined, int failing);
}
