using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FedTrain.Coordinator.Evaluation;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Reporting;
using FedTrain.Coordinator.Storage;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Checkpoints;
using FedTrain.Core.Faults;
using FedTrain.Core.Fairness;
using FedTrain.Core.Models;
using FedTrain.Core.Strategies;
using FedTrain.Coordinator.Strategies;
using FedTrain.Coordinator.Telemetry;
using FedTrain.Coordinator.Spool;
using FedTrain.Telemetry;
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
    // Under DP the strategy itself: the budget, the cohort draws and the ledger are its (null without DP).
    private readonly PrivateStrategy? _privacy;
    private readonly Lock _lock = new();
    private readonly List<RoundResult> _committed = [];
    private readonly WorkerQuarantine _quarantine;
    private readonly RoundUpdateSpool _updateSpool;

    // Under DP nothing noise-free about a client may leave the coordinator: no ids, per-client figures or exact counts
    // in logs at Information and above, spans, metrics, files or the HTTP API (docs/privacy.md).
    private readonly bool _disclosesClients;

    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RunFencedException? _fencedBy;
    private CancellationTokenSource? _stopWhenFenced;
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
        _privacy = options.Privacy is null ? null
            : strategy as PrivateStrategy ?? throw new ArgumentException(
                "Under differential privacy the strategy must be a PrivateStrategy: it owns the budget, the cohorts and the ledger.", nameof(strategy));
        _model = new ModelSnapshot(0, initialParameters);
        _quarantine = new WorkerQuarantine(options.QuarantineAfterFailures, options.QuarantineRounds);
        _updateSpool = new RoundUpdateSpool(Path.Combine(options.RunDirectory, "spool"), store as IUpdateJournal);
        _disclosesClients = options.Privacy is null;
        RunId = "run-" + time.GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
    }

    /// <summary>Raised (on the round loop's thread) when a round starts: round number and selected clients (none under DP).</summary>
    public event Action<long, IReadOnlyCollection<string>>? RoundStarted;

    /// <summary>Raised after a round is committed.</summary>
    public event Action<RoundResult>? RoundCommitted;

    /// <summary>Raised when a round attempt ends without a commit: round number and a fixed reason word (<c>quorum_missed</c>).</summary>
    public event Action<long, string>? RoundAttemptFailed;

    /// <summary>Raised when the strategy has finished a round's aggregate: how long finishing took.</summary>
    public event Action<TimeSpan>? AggregateFinished;

    public string RunId { get; private set; }

    /// <summary>ε spent so far, counting every noised release (null without DP).</summary>
    public double? SpentEpsilon => _privacy?.SpentEpsilon;

    /// <summary>The strategy's name and parameters.</summary>
    public string StrategyDescription => _strategy.Description;

    /// <summary>
    /// Whether outputs may name clients and show per-client figures and exact counts: true without DP. Under DP the
    /// committed rounds (<see cref="CommittedRounds"/>) already have them withheld.
    /// </summary>
    public bool DisclosesClients => _disclosesClients;

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

    /// <summary>Whether the run ended because it failed (its status is <c>failed</c>), not because it was done or stopped.</summary>
    public bool HasFailed { get; private set; }

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
    /// <exception cref="RunFencedException">Another coordinator took over the run; this one wrote nothing after that.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bool fencedAlready;
        lock (_lock)
        {
            _stopWhenFenced = run;
            fencedAlready = _fencedBy is not null;
        }

        try
        {
            if (fencedAlready)
            {
                await run.CancelAsync().ConfigureAwait(false);
            }

            await RunRoundsAsync(run.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (_fencedBy is { } fenced && ex is OperationCanceledException or RunFencedException)
        {
            // Another coordinator holds the run now: it owns the status and the summary, so write neither; stop.
            FinishReason = "stopped: " + fenced.Message;
            IsFinished = true;
            LogFenced(fenced.HeldEpoch, fenced.CurrentEpoch);
            SignalChange();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(fenced);
        }
        finally
        {
            lock (_lock)
            {
                _stopWhenFenced = null;
            }
        }
    }

    /// <summary>
    /// Reports that a write of this run's state was refused because another coordinator took the run's lease (seen by
    /// a call's handler, say an upload's journal write): the round loop stops wherever it waits.
    /// </summary>
    public void Fence(RunFencedException fenced)
    {
        ArgumentNullException.ThrowIfNull(fenced);
        CancellationTokenSource? stop;
        lock (_lock)
        {
            if (_fencedBy is not null)
            {
                return;
            }

            _fencedBy = fenced;
            stop = _stopWhenFenced;
        }

        // Outside the lock: cancellation runs the waiters' continuations, which may take it.
        stop?.Cancel();
    }

    private async Task RunRoundsAsync(CancellationToken cancellationToken)
    {
        long firstRound = await ResumeOrCreateRunAsync(cancellationToken).ConfigureAwait(false);
        // Half-written checkpoints of a crashed (or fenced) coordinator, and its half-written copy of the initial model
        // in the run directory itself: this one holds the run's lease now, so no writer of them may publish them any more.
        if (AtomicFile.RemoveLeftovers(Path.Combine(_options.RunDirectory, "checkpoints")) + AtomicFile.RemoveLeftovers(_options.RunDirectory)
            is > 0 and int leftovers)
        {
            LogCheckpointLeftovers(leftovers);
        }

        try
        {
            if (firstRound > _options.Rounds)
            {
                await FinishAsync("all rounds were already committed", cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }

            PublishInitialModel();
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

            if (await _store.LoadPendingRoundAsync(RunId, cancellationToken).ConfigureAwait(false) is { } pending && pending.Round == firstRound
                && await ResumePendingRoundAsync(pending, cancellationToken).ConfigureAwait(false) is { } resumed)
            {
                OnCommitted(resumed);
                firstRound++;
            }

            for (long round = firstRound; round <= _options.Rounds; round++)
            {
                if (_privacy?.BudgetReached(round) is { } reached)
                {
                    await FinishAsync(reached, cancellationToken: cancellationToken).ConfigureAwait(false);
                    return;
                }

                OnCommitted(await RunRoundWithRetriesAsync(round, cancellationToken).ConfigureAwait(false));
            }

            await FinishAsync("all rounds completed", cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RunFencedException ex)
        {
            Fence(ex);
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Recorded even when the failure came with a cancellation of the loop: the run did fail.
            await FinishAsync("failed: " + ex.Message, "failed", CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<RoundResult> RunRoundWithRetriesAsync(long round, CancellationToken cancellationToken)
    {
        // One trace per round, its attempts included.
        using var trace = CoordinatorActivities.StartRound(RunId, round);
        // Under DP a round a crash interrupted resumes the attempt it was in, with that attempt's recorded cohort.
        var resumed = _privacy is null ? null : await _privacy.ResumableCohortAsync(RunId, round, CurrentModel.Version, cancellationToken).ConfigureAwait(false);
        for (int attempt = resumed?.Attempt ?? 1; ; attempt++)
        {
            trace?.SetTag("fedtrain.attempts", attempt);
            var result = await TryRunRoundAsync(round, attempt, resumed, cancellationToken).ConfigureAwait(false);
            resumed = null;
            if (result is not null)
            {
                return result;
            }

            if (attempt >= _options.EffectiveMaxRoundAttempts)
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
        if (_privacy is not null)
        {
            // Under DP the cohort is the private strategy's recorded Poisson sample.
            var cohort = resumed ?? await _privacy.DrawCohortAsync(RunId, round, attempt, model.Version, live, cancellationToken).ConfigureAwait(false);
            selected = PoissonCohorts.Clients(cohort, _registry);
            if (resumed is not null)
            {
                LogCohortResumed(round, attempt);
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
        var kept = AdoptKeptUpdates(
            round, await RestoreKeptUpdatesAsync(round, model, resumed is not null, cancellationToken).ConfigureAwait(false), ref selected);
        using var aggregator = _strategy.Begin(round, selected.Count, _registry.ClientCount);
        selection?.SetTag("fedtrain.clients.live", live.Count);
        if (_disclosesClients)
        {
            selection?.SetTag("fedtrain.clients.selected", selected.Count);
        }

        selection?.Dispose();
        var state = new RoundState(RunId, round, model, selected, _time.GetUtcNow() + _options.RoundTimeout, aggregator)
        {
            Encoding = _options.UpdateCompression,
            TopKFraction = _options.UpdateTopKFraction,
            // Under DP the workers' spans stay out of the round's trace: stitched in, they would show who was sampled.
            TraceParent = _disclosesClients ? TraceParent.Of(Activity.Current) : null,
        };
        state.Restore(kept);
        lock (_lock)
        {
            _current = state;
        }

        if (_disclosesClients)
        {
            LogRoundStarted(round, attempt, selected.Count, selected.Select(c => c.WorkerId).Distinct().Count());
        }
        else
        {
            LogPrivateRoundStarted(round);
        }

        RoundStarted?.Invoke(round, _disclosesClients ? chosen : []);
        SignalChange();

        await WaitForAnswersAsync(
            state.AllAnswered, state.Deadline, state.Pending,
            client => state.Fail(client.ClientId, $"worker {client.WorkerId} went silent (no heartbeat)"),
            cancellationToken).ConfigureAwait(false);
        var closed = state.Close();
        int diverged = state.DivergedCount;
        await state.RecordsSettled.ConfigureAwait(false);
        var (accepted, failures) = RoundState.WithLost(closed, await FoldRemoteUpdatesAsync(state, aggregator, cancellationToken).ConfigureAwait(false));
        lock (_lock)
        {
            _current = null;
        }

        if (_disclosesClients)
        {
            foreach (string failure in failures)
            {
                LogParticipantFailed(round, failure);
            }

            // Quarantine learns from who was assigned and failed: under DP that is the cohort, so it is off.
            await RecordAssignmentsAsync(round, selected, accepted, failures, cancellationToken).ConfigureAwait(false);
        }

        int quorum = (int)Math.Ceiling(_options.EffectiveQuorumFraction * selected.Count);
        // A client whose training diverged from this round's model answered: that is the round's result for it, and
        // drawing the cohort again would only train from the same model. Only absent clients count against the quorum.
        int answered = accepted.Count + diverged;
        if (answered < quorum || (answered == 0 && _options.Privacy is null))
        {
            LogQuorumMissed(round, accepted.Count, diverged, quorum, selected.Count);
            RoundAttemptFailed?.Invoke(round, "quorum_missed");
            // The cohort first: a crash between the two must not resume this attempt, whose updates are gone.
            if (_privacy is not null)
            {
                await _privacy.CloseCohortAsync(RunId, round, attempt, PoissonCohorts.QuorumMissed, cancellationToken).ConfigureAwait(false);
            }

            await _updateSpool.DiscardAsync(RunId, round, cancellationToken).ConfigureAwait(false);
            SignalChange();
            return null;
        }

        FaultInjection.Reached("aggregation", round);
        var aggregation = CoordinatorActivities.Start(CoordinatorActivities.Aggregation);
        if (_disclosesClients)
        {
            aggregation?.SetTag("fedtrain.updates", accepted.Count);
        }

        // The ledger first: the release is durable and counted before its noise is drawn, so that no crash can leave
        // a noised model (in memory, a temporary file or a checkpoint) that the budget has not counted.
        long? releaseId = _privacy is null ? null : await _privacy.RecordModelReleaseAsync(RunId, aggregator, round, attempt, cancellationToken).ConfigureAwait(false);
        long aggregationStarted = Stopwatch.GetTimestamp();
        float[] parameters;
        AggregationOutcome outcome;
        if (accepted.Count == 0 && _options.Privacy is null)
        {
            // Every client that answered diverged: there is nothing to average, and the model stays as it was.
            parameters = new float[model.ParameterCount];
            outcome = AggregationOutcome.Skip(string.Create(
                CultureInfo.InvariantCulture, $"no update to aggregate: every client that answered diverged in local training ({diverged} of {selected.Count} selected)"));
        }
        else if (aggregator is IOwnedResultAggregator owned)
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

        // The central evaluation only reads the new model: it runs while the snapshot's digests are taken and the
        // checkpoint is written and synced.
        var centralEvaluation = StartCentralEvaluation(parameters);
        var next = new ModelSnapshot(round, parameters);
        // A coordinator that already lost the run's lease writes no checkpoint at all; one that loses it while writing
        // is refused when it would replace an existing file (WriteCheckpoint), and its commit is fenced in the store.
        await _store.CheckLeaseAsync(cancellationToken).ConfigureAwait(false);
        string checkpoint = WriteCheckpoint(round, model, next, parameters);
        WriteServerOptimizerState(round);
        FaultInjection.Reached("pending", round);
        var pending = new PendingRound(
            round, attempt, selected.Count, accepted, failures, _time.GetElapsedTime(started).TotalSeconds,
            Core.Compression.EncodedLayout.EncodedBytesOfChoice(_options.UpdateCompression, model.ParameterCount, _options.UpdateTopKFraction), checkpoint)
        {
            SkipReason = outcome.Applied ? null : outcome.SkipReason,
            Epsilon = _privacy?.SpentEpsilon,
            ClipNorm = outcome.Privacy?.ClipNorm,
        };
        // Keep the noised model with its (already counted) release: a restart finishes this round from it instead of
        // releasing a second, differently noised model of the same round. The ledger row learns the next clip norm here.
        using (var privacySpan = releaseId is null ? null : CoordinatorActivities.Start(CoordinatorActivities.Privacy))
        {
            privacySpan?.SetTag("fedtrain.noise_multiplier", outcome.Privacy?.NoiseMultiplier);
            privacySpan?.SetTag("fedtrain.clip_norm", outcome.Privacy?.ClipNorm);
            privacySpan?.SetTag("fedtrain.epsilon", _privacy?.SpentEpsilon);
            await _store.SavePendingRoundAsync(
                RunId, pending, releaseId is { } id && outcome.Privacy is { } noised ? new ReleaseCompletion(id, noised.NextClipNorm) : null, cancellationToken)
                .ConfigureAwait(false);
        }

        return await CompleteRoundAsync(pending, next, centralEvaluation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Scores <paramref name="parameters"/> on the central test set off the round loop, so that the caller can write
    /// the checkpoint meanwhile; the array must not change until the task completes.
    /// </summary>
    private Task<(Trainer.EvalResult Result, IReadOnlyList<double> PerClassAccuracy)> StartCentralEvaluation(float[] parameters) => Task.Run(() =>
    {
        // A child of the round's span: the execution context, and with it the current activity, flows into the task.
        using var span = CoordinatorActivities.Start(CoordinatorActivities.Evaluation);
        var evaluation = _evaluator.Evaluate(parameters);
        span?.SetTag("fedtrain.test_accuracy", evaluation.Result.Accuracy);
        return evaluation;
    });

    /// <summary>Awaits the round model's central evaluation, evaluates it on clients, then commits the round.</summary>
    private async Task<RoundResult> CompleteRoundAsync(
        PendingRound pending, ModelSnapshot next, Task<(Trainer.EvalResult Result, IReadOnlyList<double> PerClassAccuracy)> centralEvaluation, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var (evaluation, perClass) = await centralEvaluation.ConfigureAwait(false);
        var clientEvaluations = await EvaluateOnClientsAsync(next, pending.Attempt, cancellationToken).ConfigureAwait(false);
        var fairness = clientEvaluations is null ? null
            : _privacy is not null ? await _privacy.ReleaseFairnessAsync(RunId, pending.Round, pending.Attempt, clientEvaluations, cancellationToken).ConfigureAwait(false)
            : clientEvaluations.Count == 0 ? null
            : FairnessMetrics.Compute(clientEvaluations.Select(e => e.Accuracy).ToArray());
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
            ClientEvaluations = clientEvaluations ?? [],
            SkipReason = pending.SkipReason,
            // Under DP the fairness release is counted too: the round's ε is what the run has spent after it.
            Epsilon = _privacy?.SpentEpsilon ?? pending.Epsilon,
            ClipNorm = pending.ClipNorm,
            Fairness = fairness,
        };
        // Under DP only the published form is kept, in memory and in the store: no per-client rows outlive the round.
        result = _disclosesClients ? result : result.WithClientDetailWithheld();
        await _store.CommitRoundAsync(RunId, result, cancellationToken).ConfigureAwait(false);
        if (_privacy is not null)
        {
            await _privacy.CloseCohortAsync(RunId, pending.Round, pending.Attempt, PoissonCohorts.Committed, cancellationToken).ConfigureAwait(false);
        }

        await _updateSpool.DiscardAsync(RunId, pending.Round, cancellationToken).ConfigureAwait(false);
        if (StatefulServerOptimizer is not null)
        {
            // A restart resumes from this round's optimizer state now; the one before it is no longer needed.
            File.Delete(ServerOptimizerStatePath(pending.Round - 1));
        }

        ModelSnapshot retired;
        lock (_lock)
        {
            retired = _model;
            _model = next;
        }

        // The retired model's buffer becomes the strategy's next sum: no fresh model-sized pages per round.
        (_strategy as IModelBufferRecycler)?.Recycle(retired.Buffer);

        if (_disclosesClients)
        {
            LogRoundCommitted(pending.Round, evaluation.Accuracy, evaluation.MeanLoss, pending.Participants.Count, pending.Selected, result.DurationSeconds);
        }
        else
        {
            LogPrivateRoundCommitted(pending.Round, evaluation.Accuracy, evaluation.MeanLoss, _privacy!.SpentEpsilon, result.DurationSeconds);
        }

        return result;
    }

    /// <summary>
    /// The updates a crashed coordinator kept for this round, counted once and not asked again. Without DP their
    /// clients are put into the cohort in place of as many fresh picks. Under DP the cohort is the round's recorded
    /// Poisson sample: only a resumed cohort's own clients' updates are used (clipped and folded like fresh ones), and
    /// a freshly drawn cohort starts with none.
    /// </summary>
    private async Task<IReadOnlyList<(Storage.KeptUpdate Update, Core.Aggregation.SpooledUpdate File)>> RestoreKeptUpdatesAsync(
        long round, ModelSnapshot model, bool cohortResumed, CancellationToken cancellationToken)
    {
        if (_options.Privacy is not null && !cohortResumed)
        {
            await _updateSpool.DiscardAsync(RunId, round, cancellationToken).ConfigureAwait(false);
            return [];
        }

        return await _updateSpool.RestoreAsync(
            RunId, round, model.Version, model.ParameterCount, (update, reason) => LogKeptUpdateUnusable(round, Disclosed(update.ClientId), reason),
            _options.UpdateCompression, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Puts the restored updates' clients into the round (<see cref="RestoreKeptUpdatesAsync"/>) and returns the
    /// updates the round counts.
    /// </summary>
    private IReadOnlyList<(Storage.KeptUpdate Update, Core.Aggregation.SpooledUpdate File)> AdoptKeptUpdates(
        long round, IReadOnlyList<(Storage.KeptUpdate Update, Core.Aggregation.SpooledUpdate File)> kept, ref List<ClientInfo> selected)
    {
        if (_options.Privacy is not null)
        {
            var cohort = selected.Select(c => c.ClientId).ToHashSet(StringComparer.Ordinal);
            kept = KeepCohortMembers(round, kept, cohort);
            if (kept.Count > 0)
            {
                // A kept update counts for the worker that sent it, even if its client has moved since.
                var senders = kept.ToDictionary(k => k.Update.ClientId, k => k.Update.WorkerId, StringComparer.Ordinal);
                selected = selected.Select(c => senders.TryGetValue(c.ClientId, out string? sender) ? c with { WorkerId = sender } : c).ToList();
                LogPrivateResumedWithKeptUpdates(round);
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
                LogKeptUpdateUnusable(round, Disclosed(entry.Update.ClientId), "its client is not in the round's recorded cohort");
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

        LogPendingResumed(pending.Round, pending.Attempt, _disclosesClients ? pending.Participants.Count.ToString(CultureInfo.InvariantCulture) : "withheld under DP");
        // The optimizer stepped this round's model before the crash: its state after that step was saved with it.
        RestoreServerOptimizerState(pending.Round);
        return await CompleteRoundAsync(pending, new ModelSnapshot(pending.Round, parameters), StartCentralEvaluation(parameters), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the round's model atomically. Its metadata chains it to the model the round started from, so the
    /// whole history can be checked from the files alone.
    /// </summary>
    private string WriteCheckpoint(long round, ModelSnapshot parent, ModelSnapshot next, float[] parameters)
    {
        string checkpoint = Path.Combine(_options.RunDirectory, "checkpoints", $"round-{round:D4}.safetensors");
        var metadata = ModelFileMetadata(round, next);
        metadata["parent_version"] = parent.Version.ToString(CultureInfo.InvariantCulture);
        metadata["parent_sha256"] = Convert.ToHexStringLower(parent.Sha256);
        SafetensorsFile.Write(
            checkpoint,
            _manifest,
            parameters,
            metadata,
            () => FaultInjection.Reached("checkpoint", round),
            CheckLeaseBeforeReplacing);
        return checkpoint;
    }

    /// <summary>
    /// Called by the atomic writes of a round's files when a file of the same name exists: an uncommitted attempt's
    /// (this round is not committed), or one a successor wrote after taking the lease since the check before the
    /// write. Only the lease holder may replace it. The publish step is synchronous file work on the round loop (the
    /// write and fsync before it block too), so the lease check waits here.
    /// </summary>
    private void CheckLeaseBeforeReplacing() => _store.CheckLeaseAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The server optimizer whose state must survive a restart: null for none or for plain server SGD.</summary>
    private IServerOptimizer? StatefulServerOptimizer =>
        (_strategy as IServerOptimizerOwner)?.ServerOptimizer is { } optimizer && ServerOptimizerState.HasState(optimizer) ? optimizer : null;

    private string ServerOptimizerStatePath(long round) =>
        Path.Combine(_options.RunDirectory, "checkpoints", $"round-{round:D4}.server-optimizer.safetensors");

    /// <summary>
    /// Saves the server optimizer's state after round <paramref name="round"/>'s step, beside its checkpoint and like
    /// it before the round is recorded as pending or committed, so that a restart steps on from exactly this state.
    /// </summary>
    private void WriteServerOptimizerState(long round)
    {
        if (StatefulServerOptimizer is not { } optimizer)
        {
            return;
        }

        var metadata = new Dictionary<string, string>
        {
            ["run_id"] = RunId,
            ["round"] = round.ToString(CultureInfo.InvariantCulture),
        };
        ServerOptimizerState.Write(ServerOptimizerStatePath(round), optimizer, metadata, CheckLeaseBeforeReplacing);
    }

    /// <summary>Puts back the server optimizer's state saved with round <paramref name="round"/>.</summary>
    /// <exception cref="InvalidOperationException">The saved state is another optimizer's, of another size, or damaged.</exception>
    private void RestoreServerOptimizerState(long round)
    {
        if (StatefulServerOptimizer is not { } optimizer)
        {
            return;
        }

        string path = ServerOptimizerStatePath(round);
        if (!File.Exists(path))
        {
            // A run directory written before optimizer state was saved: the run goes on, but not as it would have.
            LogServerOptimizerStateMissing(round, optimizer.GetType().Name);
            return;
        }

        try
        {
            long step = ServerOptimizerState.Restore(path, optimizer);
            LogServerOptimizerRestored(optimizer.GetType().Name, round, step);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidOperationException(
                $"Cannot resume the server optimizer's state: {ex.Message} Resume with the run's strategy, or delete that file to go on with fresh optimizer state.", ex);
        }
    }

    /// <summary>What every model file of the run says of its model: the run, the round that made it, its spec and its SHA-256.</summary>
    private Dictionary<string, string> ModelFileMetadata(long round, ModelSnapshot model) => new()
    {
        ["run_id"] = RunId,
        ["round"] = round.ToString(CultureInfo.InvariantCulture),
        ["model"] = _options.Model.ToNativeSpec(),
        ["sha256"] = Convert.ToHexStringLower(model.Sha256),
    };

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
        if (!_disclosesClients)
        {
            return live;
        }

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
    private async Task RecordAssignmentsAsync(
        long round, IReadOnlyList<ClientInfo> selected, IReadOnlyList<ParticipantResult> accepted, IReadOnlyList<string> failures, CancellationToken cancellationToken)
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

        await _store.SaveQuarantineAsync(RunId, _quarantine.Entries(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Federated evaluation: the new model goes to a sample of the live clients, each scores it on its held-out
    /// data. Clients that do not answer in time are left out of the fairness figures, not waited for.
    /// </summary>
    /// <returns>The scores, or null when no federated evaluation runs this round (turned off, or under DP no budget left for it).</returns>
    private async Task<IReadOnlyList<ClientEvaluationResult>?> EvaluateOnClientsAsync(ModelSnapshot model, int attempt, CancellationToken cancellationToken)
    {
        if (_options.FractionEvaluate <= 0)
        {
            return null;
        }

        var live = _registry.LiveClients();
        IReadOnlyCollection<string> chosen;
        if (_privacy is not null)
        {
            var evaluators = _privacy.DrawEvaluators(live);
            if (evaluators is null)
            {
                LogFairnessWithheld(model.Version);
                return null;
            }

            chosen = evaluators;
        }
        else
        {
            chosen = CohortSelector.Select(
                live.Select(c => c.ClientId).ToList(), _options.FractionEvaluate, 1, _options.Seed ^ (ulong)(model.Version * 7_000_003 + attempt));
        }

        using var span = CoordinatorActivities.Start(CoordinatorActivities.FederatedEvaluation);
        var evaluation = new EvaluationState(RunId, model.Version, model, live.Where(c => chosen.Contains(c.ClientId)), _time.GetUtcNow() + _options.EvaluationTimeout)
        {
            TraceParent = _disclosesClients ? TraceParent.Of(Activity.Current) : null,
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

    private async Task<long> ResumeOrCreateRunAsync(CancellationToken cancellationToken)
    {
        Core.Files.PrivateFiles.CreateDirectory(Path.Combine(_options.RunDirectory, "checkpoints"));
        var existing = await _store.LoadRunAsync(cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            await _store.CreateRunAsync(new RunRecord(RunId, JsonSerializer.Serialize(new
            {
                model = _options.Model.ToNativeSpec(),
                training = _options.Training,
                rounds = _options.Rounds,
                seed = _options.Seed,
            }), _time.GetUtcNow(), "running"), cancellationToken).ConfigureAwait(false);
            WriteSummary("running");
            return 1;
        }

        RunId = existing.RunId;
        var quarantine = await _store.LoadQuarantineAsync(RunId, cancellationToken).ConfigureAwait(false);
        _quarantine.Restore(quarantine);
        if (quarantine.Count > 0)
        {
            LogQuarantineRestored(quarantine.Count(q => q.QuarantinedThrough is not null), quarantine.Count(q => q.ConsecutiveFailures > 0));
        }

        if (_privacy is not null)
        {
            await _privacy.RestoreAsync(RunId, cancellationToken).ConfigureAwait(false);
        }

        var rounds = await _store.LoadRoundsAsync(RunId, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            // Stored without per-client rows under DP already; marked so that outputs show them as withheld, not as none.
            _committed.AddRange(_disclosesClients ? rounds : rounds.Select(r => r.WithClientDetailWithheld()));
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

        RestoreServerOptimizerState(last.Round);

        LogResumed(RunId, last.Round);
        return last.Round + 1;
    }

    private async Task FinishAsync(string reason, string status = "finished", CancellationToken cancellationToken = default)
    {
        FinishReason = reason;
        HasFailed = status == "failed";
        IsFinished = true;
        try
        {
            await _store.FinishRunAsync(RunId, status, cancellationToken).ConfigureAwait(false);
        }
        catch (RunFencedException fenced)
        {
            Fence(fenced);
            throw;
        }

        WriteSummary(status);
        LogRunFinished(RunId, reason);
        SignalChange();
    }

    private void WriteSummary(string status)
    {
        var rounds = CommittedRounds;
        if (_disclosesClients)
        {
            // One row per client and round: under DP there is no such table to publish.
            RunSummaryWriter.WriteClientTable(Path.Combine(_options.RunDirectory, "clients.csv"), rounds);
        }

        var summary = RunSummaryWriter.Build(
            RunId, _options.Model.Kind, Math.Max(_registry.Count, _options.MinWorkers), _registry.ClientCount, _strategy.Description,
            _privacy?.Summary(), rounds, status);
        summary["update_compression"] = Core.Compression.UpdateCompression.Describe(_options.UpdateCompression, _options.UpdateTopKFraction);
        RunSummaryWriter.Write(Path.Combine(_options.RunDirectory, "summary.json"), summary);
    }

    /// <summary>A client id as logs may show it: itself without DP, nothing under DP.</summary>
    private string Disclosed(string clientId) => _disclosesClients ? clientId : "(withheld under DP)";

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

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Round {Round} missed its quorum: {Accepted} updates and {Diverged} diverged clients, {Quorum} answers needed of {Selected} selected; retrying")]
    private partial void LogQuorumMissed(long round, int accepted, int diverged, int quorum, int selected);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Round {Round} committed: test accuracy {Accuracy:F4}, loss {Loss:F4}, {Accepted}/{Selected} updates, {Seconds:F1} s")]
    private partial void LogRoundCommitted(long round, double accuracy, double loss, int accepted, int selected, double seconds);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Round {Round} skipped, the model stays as it was: {Reason}")]
    private partial void LogRoundSkipped(long round, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Resuming run {RunId} after committed round {Round}")]
    private partial void LogResumed(string runId, long round);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Run {RunId} finished: {Reason}")]
    private partial void LogRunFinished(string runId, string reason);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "Round {Round} was aggregated (attempt {Attempt}, updates: {Participants}) before a restart; finishing it from its checkpoint")]
    private partial void LogPendingResumed(long round, int attempt, string participants);

    [LoggerMessage(EventId = 116, Level = LogLevel.Information, Message = "Round {Round} started (DP: the cohort is a Poisson sample and is not disclosed)")]
    private partial void LogPrivateRoundStarted(long round);

    [LoggerMessage(EventId = 117, Level = LogLevel.Information, Message = "Round {Round} committed: test accuracy {Accuracy:F4}, loss {Loss:F4}, epsilon spent {Epsilon:F4}, {Seconds:F1} s")]
    private partial void LogPrivateRoundCommitted(long round, double accuracy, double loss, double epsilon, double seconds);

    [LoggerMessage(EventId = 118, Level = LogLevel.Warning, Message = "Model version {Version}: no fairness figures, the privacy budget has no room left for their release")]
    private partial void LogFairnessWithheld(long version);

    [LoggerMessage(EventId = 109, Level = LogLevel.Warning, Message = "Round {Round} was aggregated before a restart but its checkpoint is unreadable ({Reason}); training it again")]
    private partial void LogPendingDiscarded(long round, string reason);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Worker {WorkerId} failed {Failures} assignments in a row; quarantined for rounds {From} to {Through}")]
    private partial void LogWorkerQuarantined(string workerId, int failures, long from, long through);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Round {Round}: only {Eligible} clients outside quarantine, {Needed} needed; selecting from all live clients")]
    private partial void LogQuarantineWaived(long round, int eligible, int needed);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "Round {Round} resumes with {Count} updates kept before the restart; their clients are not asked again")]
    private partial void LogResumedWithKeptUpdates(long round, int count);

    [LoggerMessage(EventId = 119, Level = LogLevel.Information, Message = "Round {Round} resumes with the updates kept before the restart; their clients are not asked again")]
    private partial void LogPrivateResumedWithKeptUpdates(long round);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "Round {Round}: the kept update of client {ClientId} is not used: {Reason}")]
    private partial void LogKeptUpdateUnusable(long round, string clientId, string reason);

    [LoggerMessage(EventId = 114, Level = LogLevel.Information, Message = "Round {Round} (attempt {Attempt}) resumes the Poisson-sampled cohort recorded before the restart; no new sample is drawn")]
    private partial void LogCohortResumed(long round, int attempt);

    [LoggerMessage(EventId = 128, Level = LogLevel.Error, Message = "Another coordinator took over the run (lease epoch {CurrentEpoch} after this one's {HeldEpoch}); this coordinator stops without writing anything more")]
    private partial void LogFenced(long heldEpoch, long currentEpoch);

    [LoggerMessage(EventId = 115, Level = LogLevel.Information, Message = "Quarantine restored from the store: {Quarantined} workers with a quarantine on record, {Failing} with failed assignments in a row")]
    private partial void LogQuarantineRestored(int quarantined, int failing);

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "Removed {Count} half-written checkpoint files (or copies of the initial model) that an earlier coordinator left behind")]
    private partial void LogCheckpointLeftovers(int count);

    [LoggerMessage(EventId = 126, Level = LogLevel.Information, Message = "Restored the server optimizer's state ({Optimizer}) saved with round {Round}: step {Step}")]
    private partial void LogServerOptimizerRestored(string optimizer, long round, long step);

    [LoggerMessage(EventId = 127, Level = LogLevel.Warning, Message = "No server optimizer state was saved with round {Round}: {Optimizer} goes on from fresh state, so the resumed run steps differently from an uninterrupted one")]
    private partial void LogServerOptimizerStateMissing(long round, string optimizer);
}
