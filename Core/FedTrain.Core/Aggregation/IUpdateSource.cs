namespace FedTrain.Core.Aggregation;

/// <summary>
/// A verified update that aggregation reads range by range, so no caller needs the whole update in process memory
/// at once: it may live in a spool file (page cache) or in an array.
/// </summary>
public interface IUpdateSource
{
    /// <summary>P, the number of float32 parameters.</summary>
    long Length { get; }

    /// <summary>Copies parameters [<paramref name="start"/>, start + destination.Length) into <paramref name="destination"/>.</summary>
    /// <remarks>Safe to call from several threads at once for disjoint or overlapping ranges.</remarks>
    void ReadRange(long start, Span<float> destination);
}
