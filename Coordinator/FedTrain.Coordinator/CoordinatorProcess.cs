namespace FedTrain.Coordinator;

/// <summary>This coordinator process as the run's lease, the cluster's membership and the logs name it.</summary>
public static class CoordinatorProcess
{
    /// <summary>Host and process id, e.g. <c>node-2 pid 4711</c>: one name for the process wherever it appears.</summary>
    public static string Name { get; } = FormattableString.Invariant($"{Environment.MachineName} pid {Environment.ProcessId}");
}
