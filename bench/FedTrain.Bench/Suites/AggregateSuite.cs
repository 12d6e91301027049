using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FedTrain.Coordinator;
using FedTrain.Coordinator.Strategies;
using FedTrain.Core.Aggregation;

namespace FedTrain.Bench.Suites;

/// <summary>
/// FedAvg of N updates of P float32 parameters through the coordinator's own aggregator (fold in batches, then
/// w + Σ/W), in input GB/s (N·P·4 bytes over the time), against the STREAM triad measured in the same process.
/// The spool-file case reads the updates from files in the page cache, as verified uploads arrive.
/// </summary>
internal sealed class AggregateSuite : IBenchSuite
{
    // Distinct update buffers cycled through: enough to defeat the caches without N model copies in memory.
    private const int DistinctUpdates = 4;

    public string Name => "aggregate";

    public string Description => "FedAvg of N updates of P float32 parameters, input GB/s, against a STREAM triad in the same process";

    public async IAsyncEnumerable<BenchRow> RunAsync(BenchContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await Task.Yield();
        (int N, int P)[] cases = context.Quick
            ? [(4, 1_000_000)]
            : [(8, 10_000_000), (32, 10_000_000), (8, 50_000_000), (32, 50_000_000)];
        int repetitions = context.Quick ? 1 : 3;

        // Untimed: the aggregator's code (its lambdas, the strategy, the spool reads) and the triad's library loop run
        // before anything is timed, the triad's long enough for tiered compilation to have promoted it, so neither the
        // reference nor the first case times tier-0 code. The fold's element loops are compiled optimised on their
        // first call (FoldKernels), and each of them runs here first.
        Warm(context.ScratchDirectory);
        double triad = StreamTriad.Measure(context.Quick ? 4_000_000 : 50_000_000, context.Quick ? 2 : 5);
        context.Log.WriteLine($"aggregate: STREAM triad {triad:F1} GB/s");

        foreach (var (n, p) in cases)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var updates = Enumerable.Range(0, DistinctUpdates).Select(k => new ArrayUpdate(Filled(p, k))).ToArray();
            double seconds = Best(repetitions, p, n, k => updates[k % DistinctUpdates]);
            double gbps = (double)n * p * sizeof(float) / seconds / 1e9;
            context.Log.WriteLine($"aggregate: N={n} P={p / 1_000_000}M in memory: {seconds * 1000:F0} ms, {gbps:F1} GB/s");
            yield return BenchRow.HigherIsBetter(Name, $"N={n} P={p / 1_000_000}M", gbps, "GB/s", triad, "GB/s triad");
        }

        // The upload path: verified updates wait in spool files and are folded from the page cache.
        var (fn, fp) = context.Quick ? (4, 1_000_000) : (8, 10_000_000);
        var files = Enumerable.Range(0, fn).Select(k => WriteSpoolFile(Path.Combine(context.ScratchDirectory, $"update-{k}.update"), Filled(fp, k))).ToArray();
        double fileSeconds = Best(repetitions, fp, fn, k => SpooledUpdate.Open(files[k], fp));
        double fileGbps = (double)fn * fp * sizeof(float) / fileSeconds / 1e9;
        context.Log.WriteLine($"aggregate: N={fn} P={fp / 1_000_000}M from spool files: {fileSeconds * 1000:F0} ms, {fileGbps:F1} GB/s");
        yield return BenchRow.HigherIsBetter(Name, $"N={fn} P={fp / 1_000_000}M from spool files", fileGbps, "GB/s", triad, "GB/s triad");
    }

    private static void Warm(string directory)
    {
        const int length = 1 << 20; // the smallest length that takes the parallel path
        var updates = Enumerable.Range(0, 2).Select(k => new ArrayUpdate(Filled(length, k))).ToArray();
        string file = WriteSpoolFile(Path.Combine(directory, "warm-up.update"), Filled(length, 2));
        for (int pass = 0; pass < 3; pass++)
        {
            // Seven updates fold as groups of four, two and one; in memory and mixed with a file, as the cases do.
            Best(1, length, 3, k => k < 2 ? updates[k] : SpooledUpdate.Open(file, length));
            Best(1, length, 7, k => updates[k % 2]);
        }

        File.Delete(file);

        // Half a second of small triads: enough calls, and enough time after them, for the promotion to tier 1.
        long until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 2);
        while (Stopwatch.GetTimestamp() < until)
        {
            StreamTriad.Measure(1 << 20, 1);
        }
    }

    /// <summary>Best time of a whole round's aggregation: N adds and the finish into a new model.</summary>
    private static double Best(int repetitions, int length, int count, Func<int, IUpdateSource> update)
    {
        using var strategy = StrategyFactory.Create(new StrategyOptions(), 1, length, 0.1, Path.GetTempPath());
        var model = Filled(length, 99);
        var destination = new float[length];
        double best = double.MaxValue;
        // The first pass touches the sum's and the destination's pages, as the first round of a run does.
        for (int r = 0; r <= repetitions; r++)
        {
            using var aggregator = strategy.Begin(r + 1, count, count);
            long start = Stopwatch.GetTimestamp();
            for (int k = 0; k < count; k++)
            {
                aggregator.Add($"client-{k}", update(k), 1000 + k, null);
            }

            if (!aggregator.Finish(model, destination).Applied)
            {
                throw new InvalidOperationException("The aggregation was skipped.");
            }

            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (r > 0)
            {
                best = Math.Min(best, seconds);
            }
        }

        return best;
    }

    private static float[] Filled(int length, int seed)
    {
        var values = GC.AllocateUninitializedArray<float>(length);
        float step = 1e-7f * (seed + 1);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ((i % 1000) - 500) * step;
        }

        return values;
    }

    private static string WriteSpoolFile(string path, float[] values)
    {
        File.WriteAllBytes(path, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        return path;
    }
}
