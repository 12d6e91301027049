namespace FedTrain.Telemetry;

/// <summary>
/// The Orleans runtime's instruments that a coordinator node's <c>/metrics</c> carries, with the help text FedTrain
/// gives them: the few that tell an operator whether the cluster is healthy. Orleans gives its instruments no
/// description, and most of the rest are latency histograms in milliseconds or directory internals; Prometheus'
/// conventions (and <c>promtool check metrics</c>) want help on every series and seconds for durations, so the rest
/// are dropped rather than exposed half-right.
/// </summary>
public static class KeptOrleansInstruments
{
    /// <summary>The meter every Orleans instrument belongs to.</summary>
    public const string Meter = "Microsoft.Orleans";

    public static readonly InstrumentDefinition Activations = Orleans(
        "orleans-catalog-activations", InstrumentKind.Gauge, "Grain activations on this node, by grain type (the run grain, type run, lives on the leading node).", "grain_type");

    public static readonly InstrumentDefinition ActivationsFailed = Orleans(
        "orleans-catalog-activation-failed-to-activate", InstrumentKind.Counter, "Grain activations on this node that failed to activate.");

    public static readonly InstrumentDefinition MessagesFailed = Orleans(
        "orleans-messaging-sent-failed", InstrumentKind.Counter, "Orleans messages this node failed to send.");

    public static readonly InstrumentDefinition MessagesDropped = Orleans(
        "orleans-messaging-sent-dropped", InstrumentKind.Counter, "Orleans messages this node dropped before sending.");

    public static readonly InstrumentDefinition ProbesSent = Orleans(
        "orleans-messaging-pings-sent", InstrumentKind.Counter, "Membership probes this node sent to other nodes.");

    public static readonly InstrumentDefinition ProbesMissed = Orleans(
        "orleans-messaging-pings-reply-missed", InstrumentKind.Counter, "Membership probes of this node that another node left unanswered: the first sign of a node going.");

    public static readonly InstrumentDefinition GrainCallsTimedOut = Orleans(
        "orleans-app-requests-timedout", InstrumentKind.Counter, "Grain calls from this node that timed out.");

    /// <summary>Every instrument kept.</summary>
    public static IReadOnlyList<InstrumentDefinition> Kept { get; } =
        [Activations, ActivationsFailed, MessagesFailed, MessagesDropped, ProbesSent, ProbesMissed, GrainCallsTimedOut];

    // Orleans declares these without a unit: they count (or hold) plain numbers.
    private static InstrumentDefinition Orleans(string name, InstrumentKind kind, string description, params string[] labels) =>
        new(Meter, name, kind, string.Empty, description, labels);
}
