namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// A node that receives uploads, as the leading node calls it (an Orleans observer: the call runs on that node). The
/// answer names a file on the shared run directory; the sum itself never travels in an Orleans message.
/// </summary>
public interface IIntakeNodeObserver : IGrainObserver
{
    /// <summary>
    /// The node's sum of exactly <paramref name="clients"/>' updates of <paramref name="round"/>'s opening
    /// <paramref name="roundKey"/>, written to the shared spool; null if it has none.
    /// </summary>
    Task<PartialSumMessage?> SealAsync(long round, string roundKey, IReadOnlyList<string> clients);
}
