using System.Globalization;
using System.Text.Json.Nodes;
using FedTrain.Coordinator.Evaluation;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Storage;
using FedTrain.Core.Fairness;
using FedTrain.Core.Faults;
using FedTrain.Core.Strategies;
using FedTrain.Privacy;

namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// User-level differential privacy as one decorator over the DP aggregation strategy (DP-FedAvg's clipped, noised
/// mean, <see cref="StrategyFactory.CreatePrivate"/>): besides aggregating, it owns everything else the guarantee
/// rests on, so that the round loop cannot draw noise the budget has not counted or sample a cohort other than the
/// one accounted for. That is the budget (RDP accountant), the Poisson draws of each round's training cohort and
/// of its evaluators, and the durable ledger of releases, each recorded before its noise is drawn.
/// </summary>
/// <remarks>
/// The round loop asks it, in order: <see cref="BudgetReached"/> before a round; the cohort
/// (<see cref="ResumableCohortAsync"/>, else <see cref="DrawCohortAsync"/>); <see cref="RecordModelReleaseAsync"/>
/// before the aggregate's noise; <see cref="ReleaseFairnessAsync"/> for the evaluators' histogram;
/// <see cref="CloseCohortAsync"/> at the attempt's end. A restarted coordinator first replays the ledger
/// (<see cref="RestoreAsync"/>): every release counts, committed or not, since its noise was seen.
/// </remarks>
public sealed class PrivateStrategy : IAggregationStrategy, IServerOptimizerOwner
{
    private readonly IAggregationStrategy _inner;
    private readonly PrivacyOptions _privacy;
    private readonly ICoordinatorStore _store;
    private readonly bool _clientsEvaluate;
    private readonly PrivacyBudget _budget;
    private readonly PoissonCohorts _cohorts;

    // Releases in the ledger, by mechanism (published: they are what ε is composed of).
    private int _modelReleases;
    private int _fairnessReleases;

    /// <param name="inner">The DP aggregation strategy (its aggregators plan and draw the model's noise).</param>
    /// <param name="privacy">The mechanism's parameters and the budget.</param>
    /// <param name="store">Where cohorts and releases are recorded, fenced by the run's lease.</param>
    /// <param name="clientsEvaluate">Whether each round also releases a fairness histogram of client evaluations.</param>
    public PrivateStrategy(IAggregationStrategy inner, PrivacyOptions privacy, ICoordinatorStore store, bool clientsEvaluate)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(privacy);
        ArgumentNullException.ThrowIfNull(store);
        _inner = inner;
        _privacy = privacy;
        _store = store;
        _clientsEvaluate = clientsEvaluate;
        _budget = new PrivacyBudget(privacy.TargetEpsilon, privacy.Delta);
        _cohorts = new PoissonCohorts(store, privacy.SamplingRate);
    }

    public string Description => _inner.Description;

    public double ProximalMu => _inner.ProximalMu;

    public bool NeedsGlobalLoss => _inner.NeedsGlobalLoss;

    public IServerOptimizer? ServerOptimizer => (_inner as IServerOptimizerOwner)?.ServerOptimizer;

    /// <summary>ε spent so far: the composition of every release in the ledger.</summary>
    public double SpentEpsilon => _budget.SpentEpsilon;

    /// <summary>
    /// Starts the round's aggregate. Its <see cref="IRoundAggregator.Finish"/>, which draws the noise, refuses to run
    /// until <see cref="RecordModelReleaseAsync"/> has put the release in the ledger and the budget.
    /// </summary>
    public IRoundAggregator Begin(long round, int selectedClients, int population) =>
        new LedgerFirstAggregator(_inner.Begin(round, selectedClients, population));

    /// <summary>Why round <paramref name="round"/> may not run (its releases would pass the target ε); null when it may.</summary>
    public string? BudgetReached(long round)
    {
        var releases = _privacy.RoundReleases(_clientsEvaluate);
        return _budget.CanAfford(releases)
            ? null
            : string.Create(
                CultureInfo.InvariantCulture,
                $"privacy budget reached: {_budget.SpentEpsilon:F4} of epsilon {_privacy.TargetEpsilon} spent after {round - 1} rounds; round {round} would reach {_budget.EpsilonAfter(releases):F4}");
    }

    /// <inheritdoc cref="PoissonCohorts.ResumableAsync"/>
    public Task<SampledCohort?> ResumableCohortAsync(string runId, long round, long modelVersion, CancellationToken cancellationToken) =>
        _cohorts.ResumableAsync(runId, round, modelVersion, cancellationToken);

    /// <summary>
    /// The attempt's training cohort: a Poisson sample (each client independently with probability q), the sampling
    /// the accountant assumes, drawn from the secure generator and recorded before any assignment goes out.
    /// </summary>
    public Task<SampledCohort> DrawCohortAsync(
        string runId, long round, int attempt, long modelVersion, IReadOnlyList<ClientInfo> eligible, CancellationToken cancellationToken) =>
        _cohorts.DrawAsync(runId, round, attempt, modelVersion, eligible, cancellationToken);

    /// <inheritdoc cref="PoissonCohorts.CloseAsync"/>
    public Task CloseCohortAsync(string runId, long round, int attempt, string outcome, CancellationToken cancellationToken) =>
        _cohorts.CloseAsync(runId, round, attempt, outcome, cancellationToken);

    /// <summary>
    /// Records the round's model release in the durable ledger and in the budget, before <paramref name="aggregator"/>
    /// draws its noise; returns the ledger row.
    /// </summary>
    /// <exception cref="ArgumentException">The aggregator is not one this strategy began (it plans no release).</exception>
    public async Task<long> RecordModelReleaseAsync(
        string runId, IRoundAggregator aggregator, long round, int attempt, CancellationToken cancellationToken)
    {
        if (aggregator is not LedgerFirstAggregator dp)
        {
            throw new ArgumentException("Under differential privacy every round is aggregated by the private strategy's aggregator.", nameof(aggregator));
        }

        var plan = dp.PlannedRelease;
        long id = await _store.RecordPrivacyReleaseAsync(
            runId, new PrivacyRelease(round, attempt, _privacy.SamplingRate, plan.NoiseMultiplier, plan.ClipNorm, plan.ClipNorm), cancellationToken)
            .ConfigureAwait(false);
        _budget.Commit(_privacy.SamplingRate, plan.NoiseMultiplier);
        _modelReleases++;
        dp.ReleaseRecorded = true;
        FaultInjection.Reached("release", round);
        return id;
    }

    /// <summary>
    /// The clients asked to evaluate the round's model, or null when the budget cannot afford their histogram's
    /// release (a round resumed after a crash may already have spent it; it is not made twice). The histogram's
    /// accounting assumes a Poisson sample, drawn from the secure generator like the cohort's.
    /// </summary>
    public IReadOnlyCollection<string>? DrawEvaluators(IReadOnlyList<ClientInfo> live)
    {
        ArgumentNullException.ThrowIfNull(live);
        if (!_budget.CanAfford([_privacy.EvaluationRelease]))
        {
            return null;
        }

        return PoissonSampler.Sample(live.Count, _privacy.EffectiveEvaluationSamplingRate).Select(i => live[i].ClientId).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// The round's fairness figures from a noised histogram of the evaluated clients' accuracies: the release is
    /// recorded in the ledger and the budget first, then noised. Made whatever the number of answers (zero included),
    /// so that whether it happens reveals nothing. Null when the histogram holds less than one client after noise.
    /// </summary>
    public async Task<FairnessReport?> ReleaseFairnessAsync(
        string runId, long round, int attempt, IReadOnlyList<ClientEvaluationResult> evaluations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evaluations);
        var counts = HistogramFairness.Counts(evaluations.Select(e => e.Accuracy).ToArray(), _privacy.FairnessBuckets);
        var release = _privacy.EvaluationRelease;
        await _store.RecordPrivacyReleaseAsync(
            runId, new PrivacyRelease(round, attempt, release.SamplingRate, release.NoiseMultiplier, 1, 1) { Mechanism = PrivacyRelease.FairnessHistogram }, cancellationToken)
            .ConfigureAwait(false);
        _budget.Commit(release.SamplingRate, release.NoiseMultiplier);
        _fairnessReleases++;
        FaultInjection.Reached("fairness-release", round);
        var noisy = PrivateHistogram.Release(counts, release.NoiseMultiplier);
        return HistogramFairness.FromHistogram(noisy, release.NoiseMultiplier);
    }

    /// <summary>Counts every release the ledger holds for <paramref name="runId"/>, committed or not: its noise was already seen.</summary>
    public async Task RestoreAsync(string runId, CancellationToken cancellationToken)
    {
        foreach (var release in await _store.LoadPrivacyReleasesAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            _budget.Commit(release.SamplingRate, release.NoiseMultiplier);
            if (release.Mechanism == PrivacyRelease.FairnessHistogram)
            {
                _fairnessReleases++;
            }
            else
            {
                _modelReleases++;
            }
        }
    }

    /// <summary>The run summary's <c>privacy</c> section: the mechanism, its parameters, ε spent and the releases made.</summary>
    public JsonObject Summary() => new()
    {
        ["mechanism"] = "dp-fedavg (user level, Poisson sampling, fixed denominator)",
        ["noise_multiplier"] = _privacy.NoiseMultiplier,
        ["clip_norm"] = _privacy.AdaptiveClipping ? "adaptive" : _privacy.ClipNorm,
        ["initial_clip_norm"] = _privacy.AdaptiveClipping ? _privacy.InitialClipNorm : null,
        ["target_unclipped_quantile"] = _privacy.AdaptiveClipping ? _privacy.TargetUnclippedQuantile : null,
        ["sampling_rate"] = _privacy.SamplingRate,
        ["delta"] = _privacy.Delta,
        ["target_epsilon"] = _privacy.TargetEpsilon,
        ["spent_epsilon"] = _budget.SpentEpsilon,
        ["accountant"] = "RDP of the Sampled Gaussian Mechanism, improved RDP-to-(epsilon, delta) conversion",
        ["population"] = _privacy.Population,
        ["expected_cohort"] = _privacy.SamplingRate * _privacy.Population,
        ["fairness"] = !_clientsEvaluate ? null : new JsonObject
        {
            ["mechanism"] = "Gaussian noise on a histogram of client accuracies (one count per client), Poisson-sampled clients",
            ["sampling_rate"] = _privacy.EffectiveEvaluationSamplingRate,
            ["noise_multiplier"] = _privacy.EvaluationNoiseMultiplier,
            ["buckets"] = _privacy.FairnessBuckets,
        },
        // Every release made, committed or not: ε is their composition (a crash can only add releases).
        ["releases"] = new JsonObject
        {
            ["model"] = _modelReleases,
            ["fairness_histogram"] = _fairnessReleases,
        },
        ["covers"] = "everything the coordinator publishes: files, logs at Information and above, the HTTP API and page, metrics and traces (docs/privacy.md)",
    };

    public void Dispose() => _inner.Dispose();

    /// <summary>
    /// The DP aggregator with the ledger's order built in: its noise (<see cref="Finish"/>) is drawn only once the
    /// release it plans is recorded, so no noised model can exist that the budget has not counted.
    /// </summary>
    private sealed class LedgerFirstAggregator : IPrivateRoundAggregator, IClippedPartialSumAggregator
    {
        private readonly IPrivateRoundAggregator _inner;
        private readonly IClippedPartialSumAggregator _clipped;

        public LedgerFirstAggregator(IRoundAggregator inner)
        {
            _inner = inner as IPrivateRoundAggregator
                ?? throw new ArgumentException("The strategy under the private decorator must plan a release for each round.", nameof(inner));
            _clipped = inner as IClippedPartialSumAggregator
                ?? throw new ArgumentException("The strategy under the private decorator must take clipped partial sums.", nameof(inner));
        }

        /// <summary>Set by <see cref="RecordModelReleaseAsync"/> once the release is in the ledger and the budget.</summary>
        public bool ReleaseRecorded { get; set; }

        public PlannedRelease PlannedRelease => _inner.PlannedRelease;

        public double ClipNorm => _clipped.ClipNorm;

        public void Add(string clientId, Core.Aggregation.IUpdateSource delta, long exampleCount, Rounds.WorkerMetrics? metrics) =>
            _inner.Add(clientId, delta, exampleCount, metrics);

        public void AddClippedPartial(string path, int count, int unclipped) => _clipped.AddClippedPartial(path, count, unclipped);

        public AggregationOutcome Finish(ReadOnlySpan<float> model, Span<float> destination) => ReleaseRecorded
            ? _inner.Finish(model, destination)
            : throw new InvalidOperationException("The round's release is not in the ledger yet: its noise is drawn only after RecordModelReleaseAsync.");

        public void Dispose() => _inner.Dispose();
    }
}
