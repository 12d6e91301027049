using Orleans.Concurrency;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// The run, as one grain of the cluster (key <see cref="Key"/>). Where it is active is where the run is led: its
/// activation makes its silo's node start the coordinator (the lease, the round loop, the gRPC and HTTP ports).
/// Orleans keeps one activation in a healthy cluster; the run's lease fences a duplicate during a partition.
/// </summary>
public interface IRunGrain : IGrainWithStringKey
{
    /// <summary>The one key: a cluster serves one run, whose state is in its database.</summary>
    const string Key = "run";

    /// <summary>
    /// Called by every node's keep-alive: activates the grain (so the run is led) if no live silo holds it, and
    /// answers who leads and how far the run is.
    /// </summary>
    Task<RunLeaderStatus> KeepLeadingAsync();

    /// <summary>A node that receives uploads introduces itself (with each keep-alive) to the leader.</summary>
    [AlwaysInterleave]
    Task AdvertiseIntakeAsync(IntakeAdvert advert);

    /// <summary>The open round's ticket for a node receiving its uploads; null when <paramref name="round"/> is not open.</summary>
    [AlwaysInterleave]
    Task<IntakeTicketMessage?> GetIntakeTicketAsync(long round);

    /// <summary>The key of the open round's current opening; null when <paramref name="round"/> is not open.</summary>
    [AlwaysInterleave]
    Task<string?> GetIntakeRoundKeyAsync(long round);

    /// <summary>
    /// Counts an update <paramref name="node"/> kept in the shared spool and records it in the journal; completes once
    /// the record is durable. Interleaved, so that records from many uploads share the journal's commits.
    /// </summary>
    [AlwaysInterleave]
    Task<IntakeRecordOutcome> RecordIntakeAsync(string node, string roundKey, KeptUpdateMessage update);
}
