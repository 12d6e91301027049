using System.Diagnostics;
using System.Numerics.Tensors;
using FedTrain.Core.Aggregation;

namespace FedTrain.Bench.Suites;

/// <summary>
/// This machine's memory bandwidth as the STREAM benchmark's triad measures it, a = b + s·c, over arrays far larger
/// than the caches, on every core, into memory already touched (as the aggregation's own buffers are).
/// </summary>
internal static class StreamTriad
{
    /// <summary>Best-of-<paramref name="repetitions"/> bandwidth in GB/s, counting three arrays of traffic (STREAM's convention).</summary>
    public static double Measure(int length, int repetitions)
    {
        var a = new float[length];
        var b = new float[length];
        var c = new float[length];
        b.AsSpan().Fill(1f);
        c.AsSpan().Fill(2f);
        Run(a, b, c); // touches a's pages
        double best = double.MaxValue;
        for (int i = 0; i < repetitions; i++)
        {
            long start = Stopwatch.GetTimestamp();
            Run(a, b, c);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return 3.0 * sizeof(float) * length / best / 1e9;
    }

    private static void Run(float[] a, float[] b, float[] c) =>
        ParameterRanges.For(a.Length, ParameterRanges.DefaultRangeSize, (start, count) =>
            TensorPrimitives.MultiplyAdd(c.AsSpan((int)start, count), 3f, b.AsSpan((int)start, count), a.AsSpan((int)start, count)));
}
