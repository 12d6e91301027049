namespace FedTrain.Coordinator.Rounds;

/// <summary>
/// An update's example count against what its client registered. FedAvg weighs updates by example count, so an
/// inflated count would let one worker outvote the rest. The same check wherever an upload is received.
/// </summary>
public static class ExampleCountCheck
{
    /// <exception cref="UpdateRejectedException">The count is not positive, or exceeds <paramref name="registered"/>.</exception>
    public static void Require(long claimed, long registered, string clientId)
    {
        if (claimed <= 0)
        {
            throw new UpdateRejectedException(RejectionKind.BadExampleCount, $"example_count must be positive, got {claimed}.");
        }

        if (claimed > registered)
        {
            throw new UpdateRejectedException(
                RejectionKind.BadExampleCount, $"example_count {claimed} exceeds the {registered} examples client {clientId} registered.");
        }
    }
}
