namespace FedTrain.Core.Data;

/// <summary>
/// Labelled images held as one contiguous, normalised float32 buffer (N×C×H×W) plus int64 labels, the layout
/// the native trainer consumes without copying.
/// </summary>
public sealed class ImageDataset
{
    public ImageDataset(float[] images, long[] labels, int channels, int height, int width, int classes)
    {
        long perImage = (long)channels * height * width;
        if (images.LongLength != perImage * labels.LongLength)
        {
            throw new ArgumentException(
                $"{images.LongLength} pixels do not make {labels.Length} images of {channels}x{height}x{width}.", nameof(images));
        }

        Images = images;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
    }

    public float[] Images { get; }

    public long[] Labels { get; }

    public int Count => Labels.Length;

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public int Classes { get; }

    public int PixelsPerImage => Channels * Height * Width;

    /// <summary>A new dataset holding copies of the images at <paramref name="indices"/>, in that order.</summary>
    public ImageDataset Subset(IReadOnlyList<int> indices)
    {
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
