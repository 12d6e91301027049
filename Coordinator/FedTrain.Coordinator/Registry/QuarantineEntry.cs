namespace FedTrain.Coordinator.Registry;

/// <summary>One worker's standing in the quarantine, as the coordinator store keeps it across restarts.</summary>
/// <param name="WorkerId">The worker.</param>
/// <param name="ConsecutiveFailures">Failed assignments in a row since its last delivery or quarantine.</param>
/// <param name="QuarantinedFrom">First round of its latest quarantine; null if it was never quarantined.</param>
/// <param name="QuarantinedThrough">Last round it sits out (inclusive); null if it was never quarantined.</param>
/// <param name="Reason">Why it failed last: the round and what went wrong; null when it has no failure on record.</param>
public sealed record QuarantineEntry(string WorkerId, int ConsecutiveFailures, long? QuarantinedFrom, long? QuarantinedThrough, string? Reason);
