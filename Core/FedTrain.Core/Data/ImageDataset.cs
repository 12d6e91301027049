namespace FedTrain.Core.Data;

/// <summary>
/// Labelled images held as one contiguous, normalised float32 buffer (N×C×H×W) plus int64 labels, the layout
/// the native trainer consumes without copying; or, for data larger than memory, labels plus an
/// <see cref="IExampleSource"/> the trainer reads batch by batch (<see cref="IsLazy"/>).
/// </summary>
public sealed class ImageDataset
{
    private readonly float[]? _images;
    private readonly IExampleSource? _source;
    private readonly long[]? _rows;

    /// <summary>A data set read on demand: example i is row <paramref name="rows"/>[i] of <paramref name="source"/>.</summary>
    public ImageDataset(IExampleSource source, long[] rows, long[] labels, int channels, int height, int width, int classes)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        if (rows.Length != labels.Length)
        {
            throw new ArgumentException($"{rows.Length} rows do not match {labels.Length} labels.", nameof(rows));
        }

        _source = source;
        _rows = rows;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
    }

    public ImageDataset(float[] images, long[] labels, int channels, int height, int width, int classes)
    {
        long perImage = (long)channels * height * width;
        if (images.LongLength != perImage * labels.LongLength)
        {
            throw new ArgumentException(
                $"{images.LongLength} pixels do not make {labels.Length} images of {channels}x{height}x{width}.", nameof(images));
        }

        _images = images;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
    }

    /// <summary>The examples in memory; a lazy data set (<see cref="IsLazy"/>) has none and is read with <see cref="Fill"/>.</summary>
    public float[] Images => _images ?? throw new InvalidOperationException("This data set is read on demand (IsLazy); read it with Fill.");

    /// <summary>True when the examples are read on demand from an <see cref="IExampleSource"/>, not held in memory.</summary>
    public bool IsLazy => _source is not null;

    public long[] Labels { get; }

    public int Count => Labels.Length;

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public int Classes { get; }

    public int PixelsPerImage => Channels * Height * Width;

    /// <summary>Writes the examples at <paramref name="indices"/> into <paramref name="destination"/>, in memory or from the source.</summary>
    public void Fill(ReadOnlySpan<long> indices, Span<float> destination)
    {
        int pixels = PixelsPerImage;
        if (_source is not null)
        {
            Span<long> rows = indices.Length <= 1024 ? stackalloc long[indices.Length] : new long[indices.Length];
            for (int i = 0; i < indices.Length; i++)
            {
                rows[i] = _rows![indices[i]];
            }

            _source.Fill(rows, destination);
            return;
        }

        for (int i = 0; i < indices.Length; i++)
        {
            Images.AsSpan((int)(indices[i] * pixels), pixels).CopyTo(destination.Slice(i * pixels, pixels));
        }
    }

    /// <summary>
    /// The positions 0..Count-1 in the order their examples lie in the source: by row for a data set read on demand,
    /// as they are otherwise. A pass over every example whose result does not depend on the order (a sum) reads each
    /// part of the source once this way, where the data set's own, shuffled order would read every part again and again.
    /// </summary>
    public long[] InSourceOrder()
    {
        var order = new long[Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (_rows is not null)
        {
            Array.Sort(_rows.ToArray(), order);
        }

        return order;
    }

    /// <summary>A new dataset holding copies of the images at <paramref name="indices"/>, in that order (a lazy one: their rows).</summary>
    public ImageDataset Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (_source is not null)
        {
            return new ImageDataset(
                _source, indices.Select(i => _rows![i]).ToArray(), indices.Select(i => Labels[i]).ToArray(), Channels, Height, Width, Classes);
        }

        int pixels = PixelsPerImage;
        var images = new float[(long)indices.Count * pixels];
        var labels = new long[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            int source = indices[i];
            Array.Copy(Images, (long)source * pixels, images, (long)i * pixels, pixels);
            labels[i] = Labels[source];
        }

        return new ImageDataset(images, labels, Channels, Height, Width, Classes);
    }

    /// <summary>The first <paramref name="count"/> images (or all, if fewer).</summary>
    public ImageDataset Take(int count) =>
        count >= Count ? this : Subset(Enumerable.Range(0, count).ToArray());

    /// <summary>How many examples of each class, indexed by label.</summary>
    public long[] LabelHistogram()
    {
        var histogram = new long[Classes];
        foreach (long label in Labels)
        {
            histogram[label]++;
        }

        return histogram;
    }
}
