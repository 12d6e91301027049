namespace FedTrain.Core.Robust;

/// <summary>
/// The n model updates of one round (flat float32 deltas Δₖ = local − global, all of length P) with their weights,
/// for rules that need every update at once. Rules read them range by range, so an implementation may keep them
/// anywhere (memory, disk) as long as a slice can be copied out.
/// </summary>
/// <remarks>Values must be finite: order statistics of NaN are meaningless (<see cref="UpdateSpool"/> rejects
/// them on <see cref="UpdateSpool.Add"/>).</remarks>
public interface IUpdateSet
{
    /// <summary>Number of updates n.</summary>
    int Count { get; }

    /// <summary>Parameters per update P.</summary>
    long Length { get; }

    /// <summary>
    /// Copies coordinates [<paramref name="start"/>, <paramref name="start"/> + destination.Length) of update
    /// <paramref name="update"/> into <paramref name="destination"/>. Must be safe to call from several threads at
    /// once (the kernels read different ranges in parallel); it is never called concurrently with a mutation.
    /// </summary>
    void ReadRange(int update, long start, Span<float> destination);

    /// <summary>The update's weight nₖ &gt; 0, normally its example count.</summary>
    double Weight(int update);
}
