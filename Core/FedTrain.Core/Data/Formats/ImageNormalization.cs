using System.Globalization;

namespace FedTrain.Core.Data.Formats;

/// <summary>
/// How decoded pixels become model inputs: scaled to [0, 1], then (x - mean) / std per channel. Part of the run's
/// data contract, so an image folder gives the model the same numbers the run's IDX or test data give it.
/// </summary>
public sealed record ImageNormalization(IReadOnlyList<float> Mean, IReadOnlyList<float> StdDev)
{
    /// <summary>Fashion-MNIST's statistics, the zoo's grey-image default (the IDX loader uses them too).</summary>
    public static ImageNormalization FashionMnist { get; } = new([Data.FashionMnist.Mean], [Data.FashionMnist.StdDev]);

    /// <summary>ImageNet's RGB statistics, the usual default for colour images.</summary>
    public static ImageNormalization ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>The default for a model with <paramref name="channels"/> channels.</summary>
    public static ImageNormalization For(int channels) => channels == 3 ? ImageNet : FashionMnist;

    /// <summary>Mean and standard deviation of channel <paramref name="channel"/> (one pair serves every channel).</summary>
    public (float Mean, float StdDev) Channel(int channel) =>
        Mean.Count == 1 ? (Mean[0], StdDev[0]) : (Mean[channel], StdDev[channel]);

    /// <summary>Reads <c>MEAN,STD</c> or <c>M1,M2,M3,S1,S2,S3</c>.</summary>
    public static ImageNormalization Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        float[] values = text.Split(',', StringSplitOptions.TrimEntries)
            .Select(v => float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) && float.IsFinite(f)
                ? f
                : throw new ArgumentException($"--normalize: '{v}' is not a number."))
            .ToArray();
        if (values.Length is not (2 or 6) || values[(values.Length / 2)..].Any(s => s <= 0))
        {
            throw new ArgumentException($"--normalize must be MEAN,STD or three means then three standard deviations (> 0), got '{text}'.");
        }

        return new ImageNormalization(values[..(values.Length / 2)], values[(values.Length / 2)..]);
    }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture, $"mean {string.Join('/', Mean)}, std {string.Join('/', StdDev)}");
}
