using FedTrain.Core.Data;

namespace FedTrain.Trainer.Tests;

/// <summary>
/// Learnable 1x28x28 images: class k lights a 6x6 block in cell k of a 4x3 grid over faint noise, so a tiny CNN
/// separates the classes in a few epochs without the real data set.
/// </summary>
internal static class SyntheticImages
{
    public const int Classes = 10;

    public static ImageDataset Create(int count, int seed = 1)
    {
        var random = new Random(seed);
        var images = new float[count * 784];
        var labels = new long[count];
        for (int i = 0; i < count; i++)
        {
            int label = i % Classes;
            labels[i] = label;
            Span<float> image = images.AsSpan(i * 784, 784);
            for (int p = 0; p < image.Length; p++)
            {
                image[p] = random.NextSingle() * 0.2f;
            }

            int top = label / 3 * 7, left = label % 3 * 9;
            for (int r = 0; r < 6; r++)
            {
                for (int c = 0; c < 6; c++)
                {
                    image[((top + r) * 28) + left + c] += 1f;
                }
            }
        }

        return new ImageDataset(images, labels, 1, 28, 28, Classes);
    }
}
