namespace FedTrain.Coordinator.Storage;

/// <summary>
/// A write of the run's state was refused because another coordinator took the run's lease after this one: this
/// coordinator is a stale leader (paused, partitioned, or a duplicate activation) and must stop without committing,
/// releasing or writing anything more. Not an <see cref="InvalidOperationException"/>: nothing about the request was
/// wrong, and callers must not map it to a refusal of the request.
/// </summary>
public sealed class RunFencedException : Exception
{
    public RunFencedException()
    {
    }

    public RunFencedException(string message)
        : base(message)
    {
    }

    public RunFencedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RunFencedException(long heldEpoch, long currentEpoch, string currentHolder)
        : base($"This coordinator's lease on the run (epoch {heldEpoch}) was taken over by {currentHolder} (epoch {currentEpoch}); it writes nothing more.")
    {
        HeldEpoch = heldEpoch;
        CurrentEpoch = currentEpoch;
    }

    /// <summary>The epoch this coordinator held.</summary>
    public long HeldEpoch { get; }

    /// <summary>The epoch the store holds now.</summary>
    public long CurrentEpoch { get; }
}
