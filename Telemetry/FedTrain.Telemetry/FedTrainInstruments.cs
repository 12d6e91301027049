namespace FedTrain.Telemetry;

/// <summary>
/// The single list of FedTrain's metrics. The coordinator and worker create their instruments from it, the
/// Prometheus names derive from it, and the dashboard test checks every queried series against it.
/// </summary>
public static class FedTrainInstruments
{
    /// <summary>Meter and ActivitySource name of the coordinator.</summary>
    public const string CoordinatorMeter = "FedTrain.Coordinator";

    /// <summary>Meter and ActivitySource name of the worker.</summary>
    public const string WorkerMeter = "FedTrain.Worker";

    private static readonly double[] RoundSeconds = [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800];
    private static readonly double[] StepSeconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    private static readonly double[] TrainSeconds = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];
    private static readonly double[] FoldSeconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5];
    private static readonly double[] BytesPerSecond = [1e6, 1e7, 5e7, 1e8, 2.5e8, 5e8, 1e9, 2.5e9, 5e9, 1e10];

    public static readonly InstrumentDefinition RoundsStarted = Coordinator(
        "fedtrain.rounds.started", InstrumentKind.Counter, "{round}", "Round attempts started (a retried round counts once per attempt).");

    public static readonly InstrumentDefinition RoundsCompleted = Coordinator(
        "fedtrain.rounds.completed", InstrumentKind.Counter, "{round}", "Rounds committed.");

    public static readonly InstrumentDefinition RoundsFailed = Coordinator(
        "fedtrain.rounds.failed", InstrumentKind.Counter, "{round}", "Round attempts that ended without a commit.", Labels.Reason);

    public static readonly InstrumentDefinition RoundDuration = Coordinator(
        "fedtrain.round.duration", InstrumentKind.Histogram, "s", "Wall time of a committed round, from selection to commit.") with { Buckets = RoundSeconds };

    public static readonly InstrumentDefinition CurrentRound = Coordinator(
        "fedtrain.round.current", InstrumentKind.Gauge, "{round}", "Number of the last committed round.");

    public static readonly InstrumentDefinition RoundSelected = Coordinator(
        "fedtrain.round.selected", InstrumentKind.Gauge, "{client}", "Clients selected in the last committed round.");

    public static readonly InstrumentDefinition RoundParticipants = Coordinator(
        "fedtrain.round.participants", InstrumentKind.Gauge, "{client}", "Clients whose update the last committed round aggregated.");

    public static readonly InstrumentDefinition Stragglers = Coordinator(
        "fedtrain.round.stragglers", InstrumentKind.Counter, "{client}", "Selected clients that sent no update before the round's deadline.");

    public static readonly InstrumentDefinition Dropouts = Coordinator(
        "fedtrain.round.dropouts", InstrumentKind.Counter, "{client}", "Selected clients that dropped out early: worker silent, training failed or update refused.");

    public static readonly InstrumentDefinition ModelTransfer = Coordinator(
        "fedtrain.model.transfer", InstrumentKind.Counter, "By", "Model payload bytes: down = global models sent to workers, up = updates received.", Labels.Direction);

    public static readonly InstrumentDefinition UpdatesAccepted = Coordinator(
        "fedtrain.updates.accepted", InstrumentKind.Counter, "{update}", "Client updates folded into a round's aggregate.");

    public static readonly InstrumentDefinition UpdatesRejected = Coordinator(
        "fedtrain.updates.rejected", InstrumentKind.Counter, "{update}", "Client updates refused, by reason.", Labels.Reason);

    public static readonly InstrumentDefinition ModelAccuracy = Coordinator(
        "fedtrain.model.accuracy", InstrumentKind.Gauge, "1", "Test-set accuracy of the global model after the last committed round.");

    public static readonly InstrumentDefinition ModelLoss = Coordinator(
        "fedtrain.model.loss", InstrumentKind.Gauge, string.Empty, "Mean test-set cross-entropy of the global model after the last committed round.");

    public static readonly InstrumentDefinition EpsilonSpent = Coordinator(
        "fedtrain.privacy.epsilon.spent", InstrumentKind.Gauge, string.Empty, "User-level epsilon spent so far, counting every noised release (absent without DP).");

    public static readonly InstrumentDefinition EpsilonBudget = Coordinator(
        "fedtrain.privacy.epsilon.budget", InstrumentKind.Gauge, string.Empty, "The run's target epsilon (absent without DP).");

    public static readonly InstrumentDefinition PrivacyDelta = Coordinator(
        "fedtrain.privacy.delta", InstrumentKind.Gauge, string.Empty, "The delta of the run's (epsilon, delta) guarantee (absent without DP).");

    public static readonly InstrumentDefinition FairnessMean = Coordinator(
        "fedtrain.fairness.accuracy.mean", InstrumentKind.Gauge, "1", "Mean of the evaluated clients' held-out accuracy, last committed round.");

    public static readonly InstrumentDefinition FairnessMin = Coordinator(
        "fedtrain.fairness.accuracy.min", InstrumentKind.Gauge, "1", "Lowest client held-out accuracy, last committed round.");

    public static readonly InstrumentDefinition FairnessP10 = Coordinator(
        "fedtrain.fairness.accuracy.p10", InstrumentKind.Gauge, "1", "10th percentile of client held-out accuracy (the worst 10 %), last committed round.");

    public static readonly InstrumentDefinition FairnessJain = Coordinator(
        "fedtrain.fairness.jain_index", InstrumentKind.Gauge, string.Empty, "Jain's fairness index of client accuracy (1 = all equal), last committed round.");

    public static readonly InstrumentDefinition FairnessGini = Coordinator(
        "fedtrain.fairness.gini", InstrumentKind.Gauge, string.Empty, "Gini coefficient of client accuracy (0 = all equal), last committed round.");

    public static readonly InstrumentDefinition ClientsEvaluated = Coordinator(
        "fedtrain.fairness.clients_evaluated", InstrumentKind.Gauge, "{client}", "Clients that scored the last committed model in federated evaluation.");

    public static readonly InstrumentDefinition AggregationDuration = Coordinator(
        "fedtrain.aggregation.duration", InstrumentKind.Histogram, "s", "Time to fold one update into the aggregate (stage=fold) or to finish a round's aggregate (stage=finish).", Labels.Stage) with { Buckets = FoldSeconds };

    public static readonly InstrumentDefinition AggregationThroughput = Coordinator(
        "fedtrain.aggregation.throughput", InstrumentKind.Histogram, "By/s", "Update bytes folded into the aggregate per second of folding, per update.") with { Buckets = BytesPerSecond };

    public static readonly InstrumentDefinition ClientStepDuration = Coordinator(
        "fedtrain.client.step.duration", InstrumentKind.Histogram, "s", "Seconds per local training step, as workers report them for accepted updates.") with { Buckets = StepSeconds };

    public static readonly InstrumentDefinition WorkersLive = Coordinator(
        "fedtrain.workers.live", InstrumentKind.Gauge, "{worker}", "Registered workers that are heartbeating.");

    public static readonly InstrumentDefinition ClientsLive = Coordinator(
        "fedtrain.clients.live", InstrumentKind.Gauge, "{client}", "Clients held by live workers.");

    public static readonly InstrumentDefinition ClusterNodes = Coordinator(
        "fedtrain.cluster.nodes", InstrumentKind.Gauge, "{node}", "Coordinator nodes active in the cluster, as the leading node's membership view has them.");

    public static readonly InstrumentDefinition ClusterTransfer = Coordinator(
        "fedtrain.cluster.transfer", InstrumentKind.Counter, "By",
        "Bytes the leading node read of what other nodes received: each node's partial sum of a round (kind=partial_sum), or each update of a node that gave none (kind=update).",
        Labels.Kind);

    public static readonly InstrumentDefinition CoordinatorCpuUtilization = Coordinator(
        ProcessCpuName, InstrumentKind.Gauge, "1", ProcessCpuDescription);

    public static readonly InstrumentDefinition CoordinatorCpuTime = Coordinator(
        ProcessCpuTimeName, InstrumentKind.Counter, "s", ProcessCpuTimeDescription);

    public static readonly InstrumentDefinition WorkerRounds = Worker(
        "fedtrain.worker.rounds", InstrumentKind.Counter, "{round}", "Round assignments a worker finished (outcome=completed) or gave up (outcome=abandoned).", Labels.Outcome);

    public static readonly InstrumentDefinition WorkerTrainDuration = Worker(
        "fedtrain.worker.train.duration", InstrumentKind.Histogram, "s", "Wall time of one client's local training in a round.") with { Buckets = TrainSeconds };

    public static readonly InstrumentDefinition WorkerStepDuration = Worker(
        "fedtrain.worker.step.duration", InstrumentKind.Histogram, "s", "Mean seconds per local training step of one client's training.") with { Buckets = StepSeconds };

    public static readonly InstrumentDefinition WorkerExamples = Worker(
        "fedtrain.worker.examples", InstrumentKind.Counter, "{example}", "Training examples a worker's clients held in the rounds they trained.");

    public static readonly InstrumentDefinition WorkerTransfer = Worker(
        "fedtrain.worker.transfer", InstrumentKind.Counter, "By", "Model payload bytes a worker moved: down = models downloaded, up = updates uploaded.", Labels.Direction);

    public static readonly InstrumentDefinition WorkerCpuUtilization = Worker(
        ProcessCpuName, InstrumentKind.Gauge, "1", ProcessCpuDescription);

    public static readonly InstrumentDefinition WorkerCpuTime = Worker(
        ProcessCpuTimeName, InstrumentKind.Counter, "s", ProcessCpuTimeDescription);

    private const string ProcessCpuName = "fedtrain.process.cpu.utilization";
    private const string ProcessCpuDescription = "Share of the machine's cores this process used since the previous observation (0 to 1).";
    private const string ProcessCpuTimeName = "fedtrain.process.cpu.time";
    private const string ProcessCpuTimeDescription = "CPU time this process has used, user and system.";

    /// <summary>Every metric, coordinator's first.</summary>
    public static IReadOnlyList<InstrumentDefinition> All { get; } =
    [
        RoundsStarted, RoundsCompleted, RoundsFailed, RoundDuration, CurrentRound, RoundSelected, RoundParticipants, Stragglers, Dropouts,
        ModelTransfer, UpdatesAccepted, UpdatesRejected, ModelAccuracy, ModelLoss, EpsilonSpent, EpsilonBudget, PrivacyDelta,
        FairnessMean, FairnessMin, FairnessP10, FairnessJain, FairnessGini, ClientsEvaluated, AggregationDuration, AggregationThroughput,
        ClientStepDuration, WorkersLive, ClientsLive, ClusterNodes, ClusterTransfer, CoordinatorCpuUtilization, CoordinatorCpuTime,
        WorkerRounds, WorkerTrainDuration, WorkerStepDuration, WorkerExamples, WorkerTransfer, WorkerCpuUtilization, WorkerCpuTime,
    ];

    private static InstrumentDefinition Coordinator(string name, InstrumentKind kind, string unit, string description, params string[] labels) =>
        new(CoordinatorMeter, name, kind, unit, description, labels);

    private static InstrumentDefinition Worker(string name, InstrumentKind kind, string unit, string description, params string[] labels) =>
        new(WorkerMeter, name, kind, unit, description, labels);

    /// <summary>Label keys; each takes a handful of fixed values, never an id.</summary>
    public static class Labels
    {
        /// <summary><c>down</c> (coordinator to worker) or <c>up</c> (worker to coordinator).</summary>
        public const string Direction = "direction";

        /// <summary>A rejection kind in snake_case, or why a round attempt failed.</summary>
        public const string Reason = "reason";

        /// <summary><c>fold</c> or <c>finish</c>.</summary>
        public const string Stage = "stage";

        /// <summary><c>partial_sum</c> or <c>update</c>: what the leading node read of another node's share of a round.</summary>
        public const string Kind = "kind";

        /// <summary><c>completed</c> or <c>abandoned</c>.</summary>
        public const string Outcome = "outcome";
    }
}
