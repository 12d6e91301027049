namespace FedTrain.Core.Data;

/// <summary>Loads Fashion-MNIST (or MNIST) from a folder of IDX files, normalised for training.</summary>
public static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Per-pixel mean and standard deviation of the Fashion-MNIST training set (pixels scaled to [0, 1]).</summary>
    public const float Mean = 0.2860f;

    public const float StdDev = 0.3530f;

    public const int Classes = 10;

    /// <summary>Loads the training split (<c>train-*</c>, 60,000 images) or the test split (<c>t10k-*</c>, 10,000 images).</summary>
    /// <param name="directory">Folder holding the four IDX files, gzip-compressed or not.</param>
    /// <param name="train">True for the training split.</param>
    /// <param name="limit">Keep only the first <paramref name="limit"/> images; null for all.</param>
    public static ImageDataset Load(string directory, bool train, int? limit = null)
    {
        string prefix = train ? "train" : "t10k";
        string imagesPath = Find(directory, $"{prefix}-images-idx3-ubyte");
        string labelsPath = Find(directory, $"{prefix}-labels-idx1-ubyte");
        var (imageDims, pixels) = IdxReader.ReadBytes(imagesPath);
        var (labelDims, labelBytes) = IdxReader.ReadBytes(labelsPath);
        if (imageDims.Length != 3 || labelDims.Length != 1 || imageDims[0] != labelDims[0])
        {
            throw new InvalidDataException(
                $"{imagesPath} ({string.Join('x', imageDims)}) and {labelsPath} ({string.Join('x', labelDims)}) do not describe the same images.");
        }

        int count = Math.Min(imageDims[0], limit ?? int.MaxValue);
        int perImage = imageDims[1] * imageDims[2];
        var images = new float[(long)count * perImage];
        float scale = 1f / (255f * StdDev);
        float shift = Mean / StdDev;
        for (long i = 0; i < images.LongLength; i++)
        {
            images[i] = (pixels[i] * scale) - shift;
        }

        var labels = new long[count];
        for (int i = 0; i < count; i++)
        {
            byte label = labelBytes[i];
            if (label >= Classes)
            {
                throw new InvalidDataException($"{labelsPath}: label {label} at index {i} is outside 0..{Classes - 1}.");
            }

            labels[i] = label;
        }

        return new ImageDataset(images, labels, 1, imageDims[1], imageDims[2], Classes);
    }

    private static string Find(string directory, string stem)
    {
        foreach (string candidate in new[] { stem + ".gz", stem })
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException(
            $"No {stem}[.gz] in {directory}. Install Debian's dataset-fashion-mnist package or pass --data DIR.",
            Path.Combine(directory, stem));
    }
}
