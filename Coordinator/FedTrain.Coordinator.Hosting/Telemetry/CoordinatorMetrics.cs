using System.Diagnostics.Metrics;
using FedTrain.Coordinator.Grpc;
using FedTrain.Coordinator.Hosting;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Telemetry;

namespace FedTrain.Coordinator.Telemetry;

/// <summary>
/// The coordinator's metrics (meter <c>FedTrain.Coordinator</c>), fed by the round loop's and the gRPC service's
/// events. Last-round figures are observable gauges over a snapshot; totals are counters. Labels take a few fixed
/// values (rejection reason, direction, stage), never a worker or client id. Under DP the instruments that count or
/// time what sampled clients did (selected and participating clients, accepted and refused updates, upload bytes,
/// per-update fold times, stragglers and dropouts, client step times, bytes read of other nodes' shares) never record a value: their exact values
/// would disclose the cohort. The fairness gauges then show the noised histogram's figures.
/// </summary>
public sealed class CoordinatorMetrics : IDisposable
{
    private readonly Meter _meter = new(FedTrainInstruments.CoordinatorMeter);
    private readonly Counter<long> _roundsStarted;
    private readonly Counter<long> _roundsCompleted;
    private readonly Counter<long> _roundsFailed;
    private readonly Histogram<double> _roundDuration;
    private readonly Counter<long> _stragglers;
    private readonly Counter<long> _dropouts;
    private readonly Counter<long> _transfer;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _rejected;
    private readonly Histogram<double> _aggregationDuration;
    private readonly Histogram<double> _aggregationThroughput;
    private readonly Histogram<double> _clientStep;
    private readonly Counter<long> _clusterTransfer;
    private volatile RoundResult? _last;

    /// <summary>Creates the instruments and subscribes to <paramref name="orchestrator"/> and <paramref name="service"/>.</summary>
    public CoordinatorMetrics(
        RoundOrchestrator orchestrator, CoordinatorGrpcService service, WorkerRegistry registry, ICoordinatorCluster cluster, CoordinatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(orchestrator);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        _roundsStarted = Counter(FedTrainInstruments.RoundsStarted);
        _roundsCompleted = Counter(FedTrainInstruments.RoundsCompleted);
        _roundsFailed = Counter(FedTrainInstruments.RoundsFailed);
        _roundDuration = Histogram(FedTrainInstruments.RoundDuration);
        _stragglers = Counter(FedTrainInstruments.Stragglers);
        _dropouts = Counter(FedTrainInstruments.Dropouts);
        _transfer = Counter(FedTrainInstruments.ModelTransfer);
        _accepted = Counter(FedTrainInstruments.UpdatesAccepted);
        _rejected = Counter(FedTrainInstruments.UpdatesRejected);
        _aggregationDuration = Histogram(FedTrainInstruments.AggregationDuration);
        _aggregationThroughput = Histogram(FedTrainInstruments.AggregationThroughput);
        _clientStep = Histogram(FedTrainInstruments.ClientStepDuration);
        _clusterTransfer = Counter(FedTrainInstruments.ClusterTransfer);

        // A resumed run reports its last committed round straight away.
        _last = orchestrator.CommittedRounds is { Count: > 0 } committed ? committed[^1] : null;
        bool disclose = orchestrator.DisclosesClients;
        LastRoundGauge(FedTrainInstruments.CurrentRound, r => r.Round);
        if (disclose)
        {
            LastRoundGauge(FedTrainInstruments.RoundSelected, r => r.Selected);
            LastRoundGauge(FedTrainInstruments.RoundParticipants, r => r.Participants.Count);
        }

        LastRoundGauge(FedTrainInstruments.ModelAccuracy, r => r.TestAccuracy);
        LastRoundGauge(FedTrainInstruments.ModelLoss, r => r.TestLoss);
        LastRoundGauge(FedTrainInstruments.FairnessMean, r => r.Fairness?.AccuracyMean);
        LastRoundGauge(FedTrainInstruments.FairnessMin, r => r.Fairness?.AccuracyMin);
        LastRoundGauge(FedTrainInstruments.FairnessP10, r => r.Fairness?.AccuracyP10);
        LastRoundGauge(FedTrainInstruments.FairnessJain, r => r.Fairness?.JainIndex);
        LastRoundGauge(FedTrainInstruments.FairnessGini, r => r.Fairness?.Gini);
        LastRoundGauge(FedTrainInstruments.ClientsEvaluated, r => r.Fairness?.ClientsEvaluated);
        if (options.Privacy is { } privacy)
        {
            Gauge(FedTrainInstruments.EpsilonSpent, () => Some(orchestrator.SpentEpsilon ?? 0));
            Gauge(FedTrainInstruments.EpsilonBudget, () => Some(privacy.TargetEpsilon));
            Gauge(FedTrainInstruments.PrivacyDelta, () => Some(privacy.Delta));
        }

        Gauge(FedTrainInstruments.WorkersLive, () => Some(registry.Live().Count));
        Gauge(FedTrainInstruments.ClientsLive, () => Some(registry.LiveClients().Count));
        Gauge(FedTrainInstruments.ClusterNodes, () => Some(cluster.Nodes().Count(n => n.Status == ClusterNodeView.Active)));
        ProcessCpuInstruments.Register(_meter, FedTrainInstruments.CoordinatorCpuUtilization, FedTrainInstruments.CoordinatorCpuTime);

        orchestrator.RoundStarted += (_, _) => _roundsStarted.Add(1);
        orchestrator.RoundAttemptFailed += (_, reason) => _roundsFailed.Add(1, Tag(FedTrainInstruments.Labels.Reason, reason));
        orchestrator.RoundCommitted += OnRoundCommitted;
        orchestrator.AggregateFinished += elapsed => _aggregationDuration.Record(elapsed.TotalSeconds, Tag(FedTrainInstruments.Labels.Stage, "finish"));
        if (disclose)
        {
            service.ModelSent += bytes => _transfer.Add(bytes, Tag(FedTrainInstruments.Labels.Direction, "down"));
            service.UpdateFolded += OnUpdateFolded;
            service.UpdateRefused += kind => _rejected.Add(1, Tag(FedTrainInstruments.Labels.Reason, ReasonLabel(kind)));
            // Under DP the updates read one by one would count the other nodes' share of the cohort.
            orchestrator.RemoteShareRead += (bytes, partialSum) => _clusterTransfer.Add(bytes, Tag(FedTrainInstruments.Labels.Kind, partialSum ? "partial_sum" : "update"));
        }
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>The label value of a rejection kind: snake_case (<c>StaleModel</c> → <c>stale_model</c>).</summary>
    public static string ReasonLabel(RejectionKind kind)
    {
        string name = kind.ToString();
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(name[i]));
        }

        return builder.ToString();
    }

    private void OnRoundCommitted(RoundResult result)
    {
        _last = result;
        _roundsCompleted.Add(1);
        _roundDuration.Record(result.DurationSeconds);
        if (result.ClientDetailWithheld)
        {
            return;
        }

        long stragglers = result.Failures.Count(f => f.EndsWith(RoundState.DeadlineMissed, StringComparison.Ordinal));
        _stragglers.Add(stragglers);
        _dropouts.Add(result.Failures.Count - stragglers);
        foreach (var participant in result.Participants)
        {
            if (participant.StepSeconds is > 0 and var step)
            {
                _clientStep.Record(step);
            }
        }
    }

    private void OnUpdateFolded(long bytes, TimeSpan elapsed)
    {
        _accepted.Add(1);
        _transfer.Add(bytes, Tag(FedTrainInstruments.Labels.Direction, "up"));
        _aggregationDuration.Record(elapsed.TotalSeconds, Tag(FedTrainInstruments.Labels.Stage, "fold"));
        if (elapsed > TimeSpan.Zero)
        {
            _aggregationThroughput.Record(bytes / elapsed.TotalSeconds);
        }
    }

    private Counter<long> Counter(InstrumentDefinition definition) =>
        _meter.CreateCounter<long>(definition.Name, definition.Unit, definition.Description);

    private Histogram<double> Histogram(InstrumentDefinition definition) =>
        _meter.CreateHistogram(
            definition.Name, definition.Unit, definition.Description, tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = definition.Buckets });

    private void Gauge(InstrumentDefinition definition, Func<IEnumerable<Measurement<double>>> observe) =>
        _meter.CreateObservableGauge(definition.Name, observe, definition.Unit, definition.Description);

    /// <summary>A gauge over the last committed round; absent before the first commit or when the figure is null.</summary>
    private void LastRoundGauge(InstrumentDefinition definition, Func<RoundResult, double?> figure) =>
        Gauge(definition, () => _last is { } last && figure(last) is { } value ? Some(value) : []);

    private static Measurement<double>[] Some(double value) => [new(value)];

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);
}
