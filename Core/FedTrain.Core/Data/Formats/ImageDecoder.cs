using System.Globalization;
using SkiaSharp;

namespace FedTrain.Core.Data.Formats;

/// <summary>Decodes one image file into normalised C×H×W floats, or says why it cannot.</summary>
internal static class ImageDecoder
{
    /// <summary>Largest difference between a pixel's channels that still counts as grey (JPEG chroma rounding).</summary>
    private const int GreyTolerance = 8;

    private static readonly SKSamplingOptions Bilinear = new(SKFilterMode.Linear, SKMipmapMode.None);

    /// <summary>Writes the image into <paramref name="destination"/> and returns null, or returns why the file is skipped.</summary>
    public static string? TryDecode(string path, int channels, int height, int width, ImageNormalization normalization, Span<float> destination)
    {
        using var codec = SKCodec.Create(path);
        if (codec is null)
        {
            return "not a readable image (unknown format or corrupt)";
        }

        // JPEG (and WebP) decoders can scale while decoding (JPEG's DCT by eighths): a large photo shrunk to the model's
        // input decodes ~1.4x faster at the nearest scale that is still at least the target, then resizes from there.
        var size = codec.Info.Size;
        if (size.Width >= 2 * width && size.Height >= 2 * height)
        {
            var scaled = codec.GetScaledDimensions(Math.Max((float)width / size.Width, (float)height / size.Height));
            size = scaled.Width >= width && scaled.Height >= height ? scaled : size;
        }

        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result != SKCodecResult.Success)
        {
            return $"cannot be decoded ({result})";
        }

        using var resized = info.Width == width && info.Height == height
            ? null
            : decoded.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), Bilinear);
        var bitmap = resized ?? decoded;
        if (resized is null && (info.Width != width || info.Height != height))
        {
            return "cannot be resized";
        }

        ReadOnlySpan<byte> rgba = bitmap.GetPixelSpan();
        int plane = height * width;
        if (channels == 1)
        {
            // A grey model takes grey images. A colour file holding grey (an RGB PNG, a JPEG whose chroma rounding
            // leaves channels a few levels apart) is grey; real colour is refused rather than silently averaged.
            for (int p = 0; p < plane; p++)
            {
                int r = rgba[4 * p], g = rgba[(4 * p) + 1], b = rgba[(4 * p) + 2];
                if (Math.Max(Math.Abs(r - g), Math.Max(Math.Abs(g - b), Math.Abs(r - b))) > GreyTolerance)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"a colour image (3 channels); the run's model takes 1 channel (grey)");
                }
            }

            var (mean, std) = normalization.Channel(0);
            float greyScale = 1f / (255f * std);
            float greyShift = mean / std;
            for (int p = 0; p < plane; p++)
            {
                byte r = rgba[4 * p], g = rgba[(4 * p) + 1], b = rgba[(4 * p) + 2];
                // A truly grey pixel is taken as is, with the IDX loader's arithmetic, so both give identical inputs.
                float level = r == g && g == b ? r : (0.299f * r) + (0.587f * g) + (0.114f * b);
                destination[p] = (level * greyScale) - greyShift;
            }

            return null;
        }

        if (channels != 3)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the run's model takes {channels} channels; images give 1 (grey) or 3 (RGB)");
        }

        for (int c = 0; c < channels; c++)
        {
            var (mean, std) = normalization.Channel(c);
            float scale = 1f / (255f * std);
            float shift = mean / std;
            var target = destination.Slice(c * plane, plane);
            for (int p = 0; p < plane; p++)
            {
                target[p] = (rgba[(4 * p) + c] * scale) - shift;
            }
        }

        return null;
    }
}
