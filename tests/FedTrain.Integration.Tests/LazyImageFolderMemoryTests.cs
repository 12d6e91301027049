using FedTrain.Integration.Tests.Support;
using SkiaSharp;
using Xunit.Abstractions;

namespace FedTrain.Integration.Tests;

/// <summary>
/// A worker training on an image folder larger than its cache (<c>--cache-mb</c>) stays within base + model +
/// batches + the cache, measured as the worker process's peak resident set, against the same folder decoded into
/// memory and against a folder too small to matter.
/// </summary>
public sealed class LazyImageFolderMemoryTests(ITestOutputHelper output)
{
    private const int CacheMiB = 16;
    private const string Model = "kind=cnn;in=3,64,64;classes=4;conv=4;hidden=0";

    [Fact]
    public async Task A_worker_on_a_folder_larger_than_its_cache_peaks_at_base_plus_the_cache()
    {
        string data = RepoPaths.NewRunDirectory("lazy-data");
        // 3,000 colour 64x64 images: 147 MiB decoded, nine times the cache.
        WriteFolder(Path.Combine(data, "large"), 3000);
        WriteFolder(Path.Combine(data, "small"), 100);
        WriteFolder(Path.Combine(data, "test"), 100);

        long baseline = await WorkerPeak("small", Path.Combine(data, "small"), Path.Combine(data, "test"));
        long eager = await WorkerPeak("eager", Path.Combine(data, "large"), Path.Combine(data, "test"));
        long lazy = await WorkerPeak("lazy", Path.Combine(data, "large"), Path.Combine(data, "test"), "--cache-mb", CacheMiB.ToString(System.Globalization.CultureInfo.InvariantCulture));
        output.WriteLine($"worker peak RSS: 100 images {baseline >> 20} MiB, 3,000 in memory {eager >> 20} MiB, 3,000 with a {CacheMiB} MiB cache {lazy >> 20} MiB");

        // Base + model + batches is what the 100-image worker needs; the lazy worker may add its cache and a margin
        // for the decoding buffers, far below the 147 MiB the decoded folder takes.
        Assert.True(lazy <= baseline + ((CacheMiB + 40L) << 20), $"lazy peak {lazy >> 20} MiB vs baseline {baseline >> 20} MiB");
        Assert.True(eager >= lazy + (100L << 20), $"eager peak {eager >> 20} MiB vs lazy {lazy >> 20} MiB");
    }

    private static Task<long> WorkerPeak(string name, string train, string test, params string[] extra) => WorkerPeakMemory.MeasureAsync(
        name,
        [
            "--data", train, "--test-data", test, "--model", Model,
            "--local-steps", "20", "--batch-size", "32", "--fraction-evaluate", "0", "--threads-per-worker", "1",
            // A small held-out share keeps the evaluation batch as small as the baseline's, so the runs differ by the data alone.
            "--holdout", "0.02", .. extra,
        ]);

    private static void WriteFolder(string root, int count)
    {
        var random = new Random(count);
        var colours = new[] { SKColors.Red, SKColors.Green, SKColors.Blue, SKColors.Yellow };
        using var bitmap = new SKBitmap(new SKImageInfo(64, 64, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int i = 0; i < count; i++)
        {
            int label = i % colours.Length;
            bitmap.Erase(colours[label]);
            for (int dot = 0; dot < 64; dot++)
            {
                bitmap.SetPixel(random.Next(64), random.Next(64), new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            }

            string folder = Directory.CreateDirectory(Path.Combine(root, $"class-{label}")).FullName;
            using var image = SKImage.FromBitmap(bitmap);
            using var png = image.Encode(SKEncodedImageFormat.Png, 100);
            using var file = File.Create(Path.Combine(folder, $"{i:D5}.png"));
            png.SaveTo(file);
        }
    }
}
