using SkiaSharp;

namespace FedTrain.Core.Tests.DataSources;

/// <summary>Writes real image files with SkiaSharp's encoders (and BMP by hand, which Skia only decodes).</summary>
internal static class TestImages
{
    /// <summary>A grey image whose pixel (x, y) is <paramref name="value"/>(x, y).</summary>
    public static void WriteGrey(string path, int width, int height, Func<int, int, byte> value, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte v = value(x, y);
                bitmap.SetPixel(x, y, new SKColor(v, v, v));
            }
        }

        Encode(bitmap, path, format);
    }

    /// <summary>A colour image of one colour.</summary>
    public static void WriteColour(string path, int width, int height, SKColor colour, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(colour);
        Encode(bitmap, path, format);
    }

    /// <summary>A 24-bit BMP, written from the format's definition, of grey <paramref name="value"/>.</summary>
    public static void WriteBmp(string path, int width, int height, byte value)
    {
        int stride = ((width * 3) + 3) & ~3;
        int size = 54 + (stride * height);
        var bytes = new byte[size];
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        BitConverter.GetBytes(size).CopyTo(bytes, 2);
        BitConverter.GetBytes(54).CopyTo(bytes, 10);
        BitConverter.GetBytes(40).CopyTo(bytes, 14);
        BitConverter.GetBytes(width).CopyTo(bytes, 18);
        BitConverter.GetBytes(height).CopyTo(bytes, 22);
        BitConverter.GetBytes((short)1).CopyTo(bytes, 26);
        BitConverter.GetBytes((short)24).CopyTo(bytes, 28);
        BitConverter.GetBytes(stride * height).CopyTo(bytes, 34);
        Array.Fill(bytes, value, 54, stride * height);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    private static void Encode(SKBitmap bitmap, string path, SKEncodedImageFormat format)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
