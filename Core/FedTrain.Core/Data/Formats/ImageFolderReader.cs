using System.Globalization;
using SkiaSharp;

namespace FedTrain.Core.Data.Formats;

/// <summary>
/// Reads an image folder tree, <c>DIR/&lt;class&gt;/*.png|jpg|jpeg|bmp|webp</c> (torchvision's ImageFolder), decoding
/// with SkiaSharp (MIT, Skia's codecs) into the run's C×H×W, scaled to [0, 1] and normalised per channel. A file that
/// cannot be decoded, or a colour image for a grey model, is skipped and counted; above the allowed share of skipped
/// files the folder is refused.
/// </summary>
internal static class ImageFolderReader
{
    public static LoadedData Read(DataSourceOptions options, DataContract contract, CancellationToken cancellationToken)
    {
        string root = options.Path;
        var folders = Directory.EnumerateDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        var classes = contract.ClassNames ?? folders;
        if (classes.Count < 2)
        {
            throw new DataValidationException($"{root} has {classes.Count} class folder(s); an image folder needs one folder per class, at least 2.");
        }

        if (folders.FirstOrDefault(f => !classes.Contains(f, StringComparer.Ordinal)) is { } stranger)
        {
            throw new DataValidationException(
                $"{Path.Combine(root, stranger)}: folder '{stranger}' is not one of the run's classes ({string.Join(", ", classes)}).");
        }

        var files = new List<(string Path, int Class)>();
        for (int c = 0; c < classes.Count; c++)
        {
            string folder = Path.Combine(root, classes[c]);
            if (Directory.Exists(folder))
            {
                files.AddRange(Directory.EnumerateFiles(folder).Where(DataFormats.IsImageFile).Order(StringComparer.Ordinal).Select(f => (f, c)));
            }
        }

        if (options.Split != DataSplit.All)
        {
            files = files.Where((_, index) => SplitRows.Keep(options, index)).ToList();
        }

        if (options.Limit is { } limit && files.Count > limit)
        {
            // Spread over the classes rather than the first classes' files only.
            files = Enumerable.Range(0, limit).Select(i => files[(int)((long)i * files.Count / limit)]).ToList();
        }

        var (channels, height, width) = contract.ImageShape ?? InferShape(files);
        var normalization = contract.ImageNormalization;
        int perImage = channels * height * width;
        // Lazy when the decoded folder would not fit the cache: every file is still decoded once here, to check it,
        // but into a per-thread scratch buffer, and read again when the trainer asks for it.
        bool lazy = options.CacheBytes is { } cache && 4L * perImage * files.Count > cache;
        var pixels = lazy ? [] : new float[(long)files.Count * perImage];
        var reasons = new string?[files.Count];
        using var scratch = new ThreadLocal<float[]>(() => new float[perImage]);
        Parallel.For(0, files.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var target = lazy ? scratch.Value.AsSpan() : pixels.AsSpan((int)((long)i * perImage), perImage);
            reasons[i] = ImageDecoder.TryDecode(files[i].Path, channels, height, width, normalization, target);
        });

        var skipped = new List<SkippedFile>();
        var kept = new List<int>();
        for (int i = 0; i < files.Count; i++)
        {
            if (reasons[i] is { } reason)
            {
                skipped.Add(new SkippedFile(files[i].Path, reason));
            }
            else
            {
                kept.Add(i);
            }
        }

        RefuseTooManySkipped(root, files.Count, skipped, options.MaxSkippedFraction);
        var labels = kept.Select(i => (long)files[i].Class).ToArray();
        if (lazy)
        {
            var source = new LazyImageFolder(kept.Select(i => files[i].Path).ToList(), (channels, height, width), normalization, options.CacheBytes!.Value);
            var onDemand = new ImageDataset(source, Enumerable.Range(0, kept.Count).Select(i => (long)i).ToArray(), labels, channels, height, width, classes.Count);
            return Finish(root, classes, onDemand, skipped, string.Create(
                CultureInfo.InvariantCulture,
                $"decoded on demand (at most {options.CacheBytes!.Value / (1 << 20)} MiB of decoded images cached), resized to {width}x{height} (bilinear), {channels} channel(s), scaled to [0, 1], normalised ({normalization})"));
        }

        // Skipped files leave gaps: close them in place, so the folder's pixels are held once, not twice.
        for (int k = 0; k < kept.Count; k++)
        {
            Array.Copy(pixels, (long)kept[k] * perImage, pixels, (long)k * perImage, perImage);
        }

        var images = skipped.Count == 0 ? pixels : pixels[..(kept.Count * perImage)];

        var dataset = new ImageDataset(images, labels, channels, height, width, classes.Count);
        return Finish(root, classes, dataset, skipped, string.Create(
            CultureInfo.InvariantCulture,
            $"decoded, resized to {width}x{height} (bilinear), {channels} channel(s), scaled to [0, 1], normalised ({normalization})"));
    }

    private static LoadedData Finish(string root, IReadOnlyList<string> classes, ImageDataset dataset, List<SkippedFile> skipped, string preprocessing)
    {
        var histogram = dataset.LabelHistogram();
        int empty = Array.IndexOf(histogram, 0L);
        if (empty >= 0)
        {
            throw new DataValidationException(
                $"{Path.Combine(root, classes[empty])}: class '{classes[empty]}' has no readable images; every class of the run needs examples.");
        }

        return new LoadedData(dataset, DataFormat.Images, classes) { Skipped = skipped, Preprocessing = preprocessing };
    }

    private static void RefuseTooManySkipped(string root, int total, List<SkippedFile> skipped, double maxFraction)
    {
        if (total == 0)
        {
            throw new DataValidationException($"{root} holds no image files ({string.Join(", ", DataFormats.ImageExtensions)}) in its class folders.");
        }

        if (skipped.Count > maxFraction * total)
        {
            string examples = string.Join("; ", skipped.Take(3).Select(s => $"{s.Path}: {s.Reason}"));
            throw new DataValidationException(string.Create(
                CultureInfo.InvariantCulture,
                $"{root}: {skipped.Count} of {total} image files cannot be used, more than the {maxFraction * 100:0.##}% allowed (--max-skipped): {examples}."));
        }
    }

    /// <summary>Without a model to follow: the first readable image's size, grey unless it has colour.</summary>
    private static (int Channels, int Height, int Width) InferShape(List<(string Path, int Class)> files)
    {
        foreach (var (path, _) in files)
        {
            using var codec = SKCodec.Create(path);
            if (codec is not null)
            {
                return (codec.Info.ColorType is SKColorType.Gray8 or SKColorType.Alpha8 ? 1 : 3, codec.Info.Height, codec.Info.Width);
            }
        }

        return (1, 28, 28);
    }
}
