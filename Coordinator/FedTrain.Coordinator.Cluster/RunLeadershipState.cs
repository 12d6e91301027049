namespace FedTrain.Coordinator.Cluster;

/// <summary>Where a node's leadership of the run stands.</summary>
public enum RunLeadershipState
{
    /// <summary>The node does not lead the run.</summary>
    Standby,

    /// <summary>The run grain is active here and the coordinator is starting (lease, resume, ports).</summary>
    Starting,

    /// <summary>The coordinator runs the rounds here.</summary>
    Leading,

    /// <summary>The run is over: every round committed, the budget spent, or it failed.</summary>
    Finished,

    /// <summary>This node lost the run's lease to another one, or could not start; it leads no more.</summary>
    Stopped,
}
