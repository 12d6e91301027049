using FedTrain.Core.Data;
using FedTrain.Core.Data.Formats;
using FedTrain.Core.Models;
using SkiaSharp;

namespace FedTrain.Core.Tests.DataSources;

/// <summary>Image folder trees written here in PNG, JPEG, WebP and BMP, decoded, resized and normalised for the model.</summary>
public sealed class ImageFolderFormatTests : IDisposable
{
    private static readonly ModelSpec GreyCnn = ModelSpec.Parse("kind=cnn;in=1,8,8;classes=2;conv=4;hidden=0");

    private readonly TempFolder _folder = new("images");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Every_supported_encoding_decodes_to_the_same_normalised_pixels()
    {
        string root = _folder.Path;
        TestImages.WriteGrey(Path.Combine(root, "dark", "a.png"), 8, 8, (_, _) => 40);
        TestImages.WriteGrey(Path.Combine(root, "dark", "b.jpg"), 8, 8, (_, _) => 40, SKEncodedImageFormat.Jpeg);
        TestImages.WriteGrey(Path.Combine(root, "light", "c.webp"), 8, 8, (_, _) => 200, SKEncodedImageFormat.Webp);
        TestImages.WriteBmp(Path.Combine(root, "light", "d.bmp"), 8, 8, 200);
        _folder.File("light/notes.txt", "not an image, and not counted");

        var loaded = DataSourceLoader.Load(new DataSourceOptions { Path = root }, new DataContract(GreyCnn));

        Assert.Equal(DataFormat.Images, loaded.Format);
        Assert.Equal(["dark", "light"], loaded.ClassNames);
        Assert.Equal([0L, 0, 1, 1], loaded.Examples.Labels);
        Assert.Empty(loaded.Skipped);
        float dark = ((40 / 255f) - FashionMnist.Mean) / FashionMnist.StdDev;
        float light = ((200 / 255f) - FashionMnist.Mean) / FashionMnist.StdDev;
        for (int image = 0; image < 4; image++)
        {
            float expected = image < 2 ? dark : light;
            // JPEG and lossy WebP may move a level or two.
            Assert.All(loaded.Examples.Images.Skip(image * 64).Take(64), v => Assert.Equal(expected, v, 0.05f));
        }
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png, "png", 32, 16)]
    [InlineData(SKEncodedImageFormat.Jpeg, "jpg", 128, 64)] // large enough for the JPEG decoder's own downscaling
    public void Images_are_resized_to_the_models_input(SKEncodedImageFormat format, string extension, int width, int height)
    {
        TestImages.WriteGrey(Path.Combine(_folder.Path, "left", "big." + extension), width, height, (x, _) => x < width / 2 ? (byte)0 : (byte)255, format);
        TestImages.WriteGrey(Path.Combine(_folder.Path, "right", "big." + extension), width, height, (x, _) => x < width / 2 ? (byte)255 : (byte)0, format);

        var loaded = DataSourceLoader.Load(new DataSourceOptions { Path = _folder.Path }, new DataContract(GreyCnn));

        var first = loaded.Examples.Images.AsSpan(0, 64);
        Assert.Equal(64 * 2, loaded.Examples.Images.Length);
        Assert.True(first[8] < 0 && first[15] > 1, "the left half of the 8x8 resize is dark, the right half light");
    }

    [Fact]
    public void Colour_images_fill_three_channels_normalised_per_channel()
    {
        TestImages.WriteColour(Path.Combine(_folder.Path, "red", "r.png"), 4, 4, new SKColor(255, 0, 0));
        TestImages.WriteColour(Path.Combine(_folder.Path, "blue", "b.png"), 4, 4, new SKColor(0, 0, 255));
        var contract = new DataContract(ModelSpec.Parse("kind=cnn;in=3,4,4;classes=2;conv=2;hidden=0")) { Normalization = new ImageNormalization([0.5f], [0.5f]) };

        var loaded = DataSourceLoader.Load(new DataSourceOptions { Path = _folder.Path }, contract);

        Assert.Equal(["blue", "red"], loaded.ClassNames);
        // blue first: channels R, G, B each 16 pixels.
        Assert.Equal([-1f, -1f, 1f], new[] { loaded.Examples.Images[0], loaded.Examples.Images[16], loaded.Examples.Images[32] });
        Assert.Equal([1f, -1f, -1f], new[] { loaded.Examples.Images[48], loaded.Examples.Images[64], loaded.Examples.Images[80] });
    }

    [Fact]
    public void Unreadable_and_colour_files_are_skipped_and_counted_within_the_allowed_share()
    {
        for (int i = 0; i < 10; i++)
        {
            TestImages.WriteGrey(Path.Combine(_folder.Path, "a", $"{i}.png"), 8, 8, (_, _) => 10);
            TestImages.WriteGrey(Path.Combine(_folder.Path, "b", $"{i}.png"), 8, 8, (_, _) => 250);
        }

        _folder.File("a/broken.png", "these bytes are no PNG");
        TestImages.WriteColour(Path.Combine(_folder.Path, "b", "colour.png"), 8, 8, new SKColor(255, 0, 0));

        var loaded = DataSourceLoader.Load(new DataSourceOptions { Path = _folder.Path, MaxSkippedFraction = 0.1 }, new DataContract(GreyCnn));

        Assert.Equal(20, loaded.Examples.Count);
        Assert.Equal(2, loaded.Skipped.Count);
        Assert.Contains(loaded.Skipped, s => s.Path.EndsWith("broken.png", StringComparison.Ordinal) && s.Reason.Contains("not a readable image", StringComparison.Ordinal));
        Assert.Contains(loaded.Skipped, s => s.Path.EndsWith("colour.png", StringComparison.Ordinal) && s.Reason.Contains("colour image", StringComparison.Ordinal));
    }

    [Fact]
    public void A_folder_without_a_model_takes_its_first_images_shape()
    {
        TestImages.WriteGrey(Path.Combine(_folder.Path, "x", "1.png"), 6, 5, (_, _) => 0);
        TestImages.WriteGrey(Path.Combine(_folder.Path, "y", "1.png"), 6, 5, (_, _) => 0);

        var loaded = DataSourceLoader.Load(new DataSourceOptions { Path = _folder.Path }, DataContract.None);

        Assert.Equal((1, 5, 6), (loaded.Examples.Channels, loaded.Examples.Height, loaded.Examples.Width));
        Assert.Equal(DataFormat.Images, DataFormats.Detect(_folder.Path));
    }

    [Fact]
    public void A_folder_larger_than_the_cache_is_read_on_demand_with_the_same_pixels()
    {
        for (int i = 0; i < 12; i++)
        {
            TestImages.WriteGrey(Path.Combine(_folder.Path, i % 2 == 0 ? "even" : "odd", $"{i:D2}.png"), 8, 8, (x, y) => (byte)((i * 20) + x + y));
        }

        var options = new DataSourceOptions { Path = _folder.Path };
        var eager = DataSourceLoader.Load(options, new DataContract(GreyCnn)).Examples;
        // Three decoded 8x8 images fit: a quarter of the folder.
        var lazy = DataSourceLoader.Load(options with { CacheBytes = 3 * 64 * 4 }, new DataContract(GreyCnn)).Examples;

        Assert.False(eager.IsLazy);
        Assert.True(lazy.IsLazy);
        Assert.Equal(eager.Labels, lazy.Labels);
        var pixels = new float[12 * 64];
        long[] rows = [.. Enumerable.Range(0, 12).Select(i => (long)i)];
        lazy.Fill(rows, pixels);
        Assert.Equal(eager.Images, pixels);
        // Again in another order, through the evictions of a cache a quarter of the folder's size.
        long[] reversed = [.. rows.Reverse()];
        var expected = new float[12 * 64];
        eager.Fill(reversed, expected);
        lazy.Fill(reversed, pixels);
        Assert.Equal(expected, pixels);
    }
}
