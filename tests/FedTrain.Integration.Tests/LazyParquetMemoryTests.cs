using System.Globalization;
using FedTrain.Integration.Tests.Support;
using Parquet;
using Parquet.Schema;
using Xunit.Abstractions;

namespace FedTrain.Integration.Tests;

/// <summary>
/// A worker training on a Parquet file larger than its cache (<c>--cache-mb</c>) stays within base + model + batches
/// + the cache + what it keeps per row (label and row index), measured as the worker process's peak resident set,
/// against the same file decoded into memory and against a file too small to matter; the method of
/// <see cref="LazyImageFolderMemoryTests"/>. Reading a file value by value lets the collector grow the heap with
/// garbage it would collect under pressure (on the build machine by a few hundred MiB), so the bound is shown with the
/// managed heap capped, and the uncapped figure is reported beside it.
/// </summary>
public sealed class LazyParquetMemoryTests(ITestOutputHelper output)
{
    private const int CacheMiB = 8;
    private const int Features = 32;
    private const int LargeRows = 800_000;
    private const int SmallRows = 4_000;
    private const int HeapCapMiB = 128;
    private const string Model = "kind=mlp;in=32;hidden=16;classes=4";

    [Fact]
    public async Task A_worker_on_a_parquet_file_larger_than_its_cache_trains_within_a_bounded_heap()
    {
        string data = RepoPaths.NewRunDirectory("lazy-parquet");
        // 800,000 rows of 32 float features: 98 MiB decoded, twelve times the cache; row groups of 500 rows.
        string large = Path.Combine(data, "large.parquet");
        string small = Path.Combine(data, "small.parquet");
        string test = Path.Combine(data, "test.parquet");
        await WriteAsync(large, LargeRows, seed: 1);
        await WriteAsync(small, SmallRows, seed: 2);
        await WriteAsync(test, 1_000, seed: 3);

        string cache = CacheMiB.ToString(CultureInfo.InvariantCulture);
        long baseline = await WorkerPeak("parquet-small", small, test, []);
        long eager = await WorkerPeak("parquet-eager", large, test, []);
        long lazy = await WorkerPeak("parquet-lazy", large, test, [], "--cache-mb", cache);
        // What the reader keeps, apart from how far the collector lets the heap grow: the same worker with its managed
        // heap capped (the demo's processes inherit the variable) still loads, checks and trains on the whole file.
        long capped = await WorkerPeak("parquet-lazy-capped", large, test, [$"DOTNET_GCHeapHardLimit=0x{HeapCapMiB << 20:x}"], "--cache-mb", cache);
        output.WriteLine(
            $"worker peak RSS: {SmallRows:N0} rows {baseline >> 20} MiB; {LargeRows:N0} rows in memory {eager >> 20} MiB, "
            + $"with a {CacheMiB} MiB cache {lazy >> 20} MiB, and so with the managed heap capped at {HeapCapMiB} MiB {capped >> 20} MiB");

        // Capped, the lazy worker stays within the baseline plus the cap (its per-row labels and indices and the cache
        // live inside it); the decoded features alone would take 98 MiB, and in memory the worker holds them with its
        // client's copy.
        Assert.True(capped <= baseline + ((HeapCapMiB + 32L) << 20), $"capped lazy peak {capped >> 20} MiB vs baseline {baseline >> 20} MiB");
        Assert.True(eager >= capped + (150L << 20), $"eager peak {eager >> 20} MiB vs capped lazy {capped >> 20} MiB");
        Assert.True(lazy < eager, $"lazy peak {lazy >> 20} MiB vs eager {eager >> 20} MiB");
    }

    private static Task<long> WorkerPeak(string name, string train, string test, string[] environment, params string[] extra) => WorkerPeakMemory.MeasureAsync(
        name,
        environment,
        [
            "--data", train, "--test-data", test, "--label-column", "y", "--model", Model,
            "--local-steps", "20", "--batch-size", "32", "--fraction-evaluate", "0", "--threads-per-worker", "1",
            "--holdout", "0.02", .. extra,
        ]);

    /// <summary>Rows whose label is the index of the largest of the first four features, in row groups of 500.</summary>
    private static async Task WriteAsync(string path, int rows, int seed)
    {
        var fields = Enumerable.Range(0, Features).Select(f => new DataField<float>($"f{f}")).Append<Field>(new DataField<int>("y")).ToArray();
        var schema = new ParquetSchema(fields);
        var random = new Random(seed);
        using var file = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, file);
        const int groupRows = 500;
        for (int start = 0; start < rows; start += groupRows)
        {
            int count = Math.Min(groupRows, rows - start);
            var columns = new float[Features][];
            for (int f = 0; f < Features; f++)
            {
                columns[f] = new float[count];
                for (int r = 0; r < count; r++)
                {
                    columns[f][r] = random.NextSingle();
                }
            }

            int[] labels = [.. Enumerable.Range(0, count).Select(r => Enumerable.Range(0, 4).MaxBy(f => columns[f][r]))];
            using var group = writer.CreateRowGroup();
            for (int f = 0; f < Features; f++)
            {
                await group.WriteAsync<float>((DataField)fields[f], columns[f]);
            }

            await group.WriteAsync<int>((DataField)fields[Features], labels);
        }
    }
}
