namespace FedTrain.Core.Aggregation;

/// <summary>
/// Splits a parameter vector into fixed ranges and runs a body over them, in parallel once the vector is large
/// enough to pay for the fan-out. Ranges are disjoint, so each element is touched by exactly one thread and the
/// result is the same, bit for bit, as a sequential pass.
/// </summary>
public static class ParameterRanges
{
    /// <summary>Floats per range: 1 MiB, big enough to amortise a read call, small enough to stay in L2.</summary>
    public const int DefaultRangeSize = 1 << 18;

    // Below this many elements a single thread is faster than fanning out.
    private const long ParallelThreshold = 1 << 20;

    /// <summary>Calls <paramref name="body"/>(start, count) for every range of [0, <paramref name="length"/>).</summary>
    public static void For(long length, int rangeSize, Action<long, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rangeSize);
        long ranges = (length + rangeSize - 1) / rangeSize;
        if (length < ParallelThreshold)
        {
            for (long r = 0; r < ranges; r++)
            {
                long start = r * rangeSize;
                body(start, (int)Math.Min(rangeSize, length - start));
            }

            return;
        }

        Parallel.For(0L, ranges, r =>
        {
            long start = r * rangeSize;
            body(start, (int)Math.Min(rangeSize, length - start));
        });
    }

    /// <summary>Throws unless [start, start + count) lies within [0, length).</summary>
    public static void CheckRange(long start, int count, long length)
    {
        if (start < 0 || count < 0 || start + count > length)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, $"Range [{start}, {start + count}) is outside [0, {length}).");
        }
    }
}
