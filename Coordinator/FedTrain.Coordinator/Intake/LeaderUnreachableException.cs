namespace FedTrain.Coordinator.Intake;

/// <summary>
/// A node receiving uploads could not reach the node leading the run (it died, the run is moving to another node, the
/// call timed out). Whether the leader counted the update is unknown: the worker is told to try again.
/// </summary>
public sealed class LeaderUnreachableException : Exception
{
    public LeaderUnreachableException()
    {
    }

    public LeaderUnreachableException(string message)
        : base(message)
    {
    }

    public LeaderUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
