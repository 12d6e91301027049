using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FedTrain.Core.Robust;

/// <summary>
/// Coordinate-wise order statistics of one range: n rows of <c>count</c> coordinates, row-major.
/// </summary>
/// <remarks>
/// Up to <see cref="NetworkLimit"/> rows, a sorting network (<see cref="SortingNetwork"/>) of vector min/max runs
/// across <see cref="Vector{T}.Count"/> coordinates at once: no gather, no data-dependent branch. The tail of a range
/// goes through the same network in a zero-padded vector, so a coordinate's result does not depend on where range
/// boundaries fall. Beyond the limit each coordinate is gathered and sorted. The native min/max (one instruction)
/// are safe because updates are finite; they may swap −0 and +0, which only the sign of an exact zero could show.
/// </remarks>
internal static class OrderStatistics
{
    public const int NetworkLimit = 256;

    /// <summary>Column vectors sorted side by side through one pass of the network.</summary>
    private const int Interleave = 4;

    /// <summary>Median per coordinate: the middle value, or the mean of the two middle values for even n.</summary>
    // Long loops run in few calls: compiled optimised on the first call rather than after tiering (see FoldKernels).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Median(float[] rows, int n, int count, int[]? network, Span<float> destination)
    {
        int lower = (n - 1) / 2;
        int upper = n / 2;
        if (network is null)
        {
            PerCoordinate(rows, n, count, destination, sorted => lower == upper ? sorted[lower] : (sorted[lower] + sorted[upper]) * 0.5f);
            return;
        }

        Span<Vector<float>> v = stackalloc Vector<float>[n * Interleave];
        Span<float> lane = stackalloc float[Vector<float>.Count];
        var half = new Vector<float>(0.5f);
        for (int j = 0; j < count; j += Interleave * Vector<float>.Count)
        {
            Load(rows, n, count, j, v, lane);
            Sort(v, network);
            for (int q = 0; q < Interleave; q++)
            {
                var result = lower == upper ? v[(lower * Interleave) + q] : (v[(lower * Interleave) + q] + v[(upper * Interleave) + q]) * half;
                Store(result, destination, j + (q * Vector<float>.Count), lane);
            }
        }
    }

    /// <summary>Mean of the coordinates left after dropping the <paramref name="trim"/> smallest and largest, summed in ascending order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TrimmedMean(float[] rows, int n, int count, int trim, int[]? network, Span<float> destination)
    {
        int kept = n - (2 * trim);
        if (network is null)
        {
            PerCoordinate(rows, n, count, destination, sorted =>
            {
                float sum = sorted[trim];
                for (int i = trim + 1; i < n - trim; i++)
                {
                    sum += sorted[i];
                }

                return sum / kept;
            });
            return;
        }

        Span<Vector<float>> v = stackalloc Vector<float>[n * Interleave];
        Span<float> lane = stackalloc float[Vector<float>.Count];
        var divisor = new Vector<float>(kept);
        for (int j = 0; j < count; j += Interleave * Vector<float>.Count)
        {
            Load(rows, n, count, j, v, lane);
            Sort(v, network);
            for (int q = 0; q < Interleave; q++)
            {
                var sum = v[(trim * Interleave) + q];
                for (int i = trim + 1; i < n - trim; i++)
                {
                    sum += v[(i * Interleave) + q];
                }

                Store(sum / divisor, destination, j + (q * Vector<float>.Count), lane);
            }
        }
    }

    /// <summary>The network for n rows, or null when n is past <see cref="NetworkLimit"/> (sort per coordinate).</summary>
    public static int[]? NetworkFor(int n) => n <= NetworkLimit ? SortingNetwork.Comparators(n) : null;

    /// <summary>Runs the network over <see cref="Interleave"/> independent column vectors per row (row r at v[r × 4 ..]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sort(Span<Vector<float>> v, int[] network)
    {
        // Four independent compare-exchanges per comparator: the values live in stack memory, and with one column
        // at a time the network's depth became a chain of store-to-load forwarding latencies (≈ 10× slower).
        ref var values = ref MemoryMarshal.GetReference(v);
        ref int pair = ref MemoryMarshal.GetArrayDataReference(network);
        for (int c = 0; c < network.Length; c += 2)
        {
            // Indices come from SortingNetwork.Comparators(n) for the n rows in v, so they are in range.
            ref var a = ref Unsafe.Add(ref values, Unsafe.Add(ref pair, c) * Interleave);
            ref var b = ref Unsafe.Add(ref values, Unsafe.Add(ref pair, c + 1) * Interleave);
            CompareExchange(ref a, ref b);
            CompareExchange(ref Unsafe.Add(ref a, 1), ref Unsafe.Add(ref b, 1));
            CompareExchange(ref Unsafe.Add(ref a, 2), ref Unsafe.Add(ref b, 2));
            CompareExchange(ref Unsafe.Add(ref a, 3), ref Unsafe.Add(ref b, 3));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CompareExchange(ref Vector<float> a, ref Vector<float> b)
    {
        var x = a;
        var y = b;
        a = Vector.MinNative(x, y);
        b = Vector.MaxNative(x, y);
    }

    /// <summary>
    /// Loads <see cref="Interleave"/> column vectors starting at coordinate j from every row. Columns past the end of
    /// the range are zero-padded; each lane is sorted independently, so padding never touches a real coordinate.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Load(float[] rows, int n, int count, int j, Span<Vector<float>> v, Span<float> lane)
    {
        if (j + (Interleave * Vector<float>.Count) <= count)
        {
            // The common case, without per-vector slicing: all four columns are inside the range, and
            // (n − 1) × count + j + 4 × Vector<float>.Count ≤ n × count ≤ rows.Length bounds every load.
            ref float source = ref MemoryMarshal.GetArrayDataReference(rows);
            ref var target = ref MemoryMarshal.GetReference(v);
            for (int r = 0; r < n; r++)
            {
                var offset = (nuint)((r * count) + j);
                for (int q = 0; q < Interleave; q++)
                {
                    Unsafe.Add(ref target, (r * Interleave) + q) = Vector.LoadUnsafe(ref source, offset + (nuint)(q * Vector<float>.Count));
                }
            }

            return;
        }

        for (int q = 0; q < Interleave; q++)
        {
            int start = j + (q * Vector<float>.Count);
            int width = Math.Clamp(count - start, 0, Vector<float>.Count);
            for (int r = 0; r < n; r++)
            {
                lane.Clear();
                if (width > 0)
                {
                    rows.AsSpan((r * count) + start, width).CopyTo(lane);
                }

                v[(r * Interleave) + q] = new Vector<float>(lane);
            }
        }
    }

    /// <summary>Writes the lanes of <paramref name="result"/> that fall inside the range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Store(Vector<float> result, Span<float> destination, int start, Span<float> lane)
    {
        int width = Math.Clamp(destination.Length - start, 0, Vector<float>.Count);
        if (width == Vector<float>.Count)
        {
            result.CopyTo(destination[start..]);
        }
        else if (width > 0)
        {
            result.CopyTo(lane);
            lane[..width].CopyTo(destination[start..]);
        }
    }

    private static void PerCoordinate(float[] rows, int n, int count, Span<float> destination, Func<float[], float> statistic)
    {
        var column = ArrayPool<float>.Shared.Rent(n);
        try
        {
            for (int j = 0; j < count; j++)
            {
                for (int r = 0; r < n; r++)
                {
                    column[r] = rows[(r * count) + j];
                }

                Array.Sort(column, 0, n);
                destination[j] = statistic(column);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(column);
        }
    }
}
