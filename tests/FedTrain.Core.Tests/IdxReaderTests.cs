using System.IO.Compression;
using FedTrain.Core.Data;

namespace FedTrain.Core.Tests;

public sealed class IdxReaderTests
{
    private static byte[] Idx(byte type, int[] dims, byte[] data)
    {
        using var stream = new MemoryStream();
        stream.Write([0, 0, type, (byte)dims.Length]);
        foreach (int d in dims)
        {
            stream.Write([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        }

        stream.Write(data);
        return stream.ToArray();
    }

    [Fact]
    public void Reads_dimensions_big_endian_and_data()
    {
        var bytes = Idx(0x08, [2, 3, 256], Enumerable.Range(0, 2 * 3 * 256).Select(i => (byte)i).ToArray());
        var (dims, data) = IdxReader.ReadBytes(new MemoryStream(bytes), "test");
        Assert.Equal([2, 3, 256], dims);
        Assert.Equal(1536, data.Length);
        Assert.Equal(255, data[255]);
    }

    [Fact]
    public void Reads_gzip_files()
    {
        string path = Path.Combine(Path.GetTempPath(), $"idx-{Guid.NewGuid():N}.gz");
        try
        {
            using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            {
                gzip.Write(Idx(0x08, [4], [9, 8, 7, 6]));
            }

            var (dims, data) = IdxReader.ReadBytes(path);
            Assert.Equal([4], dims);
            Assert.Equal(new byte[] { 9, 8, 7, 6 }, data);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 8, 1, 0, 0, 0, 1, 5 }, "not an IDX file")]
    [InlineData(new byte[] { 0, 0, 0x0D, 1, 0, 0, 0, 1, 5, 5, 5, 5 }, "not supported")]
    [InlineData(new byte[] { 0, 0, 8, 0 }, "rank 0")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0, 0, 9, 1, 2 }, "truncated while reading the data")]
    [InlineData(new byte[] { 0, 0, 8 }, "truncated while reading the magic")]
    public void Refuses_malformed_input_with_a_reason(byte[] bytes, string reason)
    {
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadBytes(new MemoryStream(bytes), "bad.idx"));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("bad.idx", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loads_the_real_fashion_mnist_test_set()
    {
        var test = FashionMnist.Load(FashionMnist.DefaultDirectory, train: false);
        Assert.Equal(10_000, test.Count);
        Assert.Equal(28, test.Height);
        Assert.Equal(28, test.Width);
        Assert.Equal(10_000 * 784, test.Images.Length);
        // The test split is balanced: 1,000 images per class.
        Assert.All(test.LabelHistogram(), count => Assert.Equal(1000, count));
        // Normalised with the training set's statistics: mean near 0, and 0 pixels map to -mean/std.
        double mean = test.Images.Average(p => (double)p);
        Assert.InRange(mean, -0.1, 0.1);
        Assert.Equal(-FashionMnist.Mean / FashionMnist.StdDev, test.Images.Min(), 4);
    }

    [Fact]
    public void Limit_keeps_the_first_images()
    {
        var full = FashionMnist.Load(FashionMnist.DefaultDirectory, train: false);
        var first = FashionMnist.Load(FashionMnist.DefaultDirectory, train: false, limit: 100);
        Assert.Equal(100, first.Count);
        Assert.Equal(full.Labels.Take(100), first.Labels);
        Assert.Equal(full.Images.AsSpan(0, 784).ToArray(), first.Images.AsSpan(0, 784).ToArray());
    }

    [Fact]
    public void Missing_files_name_the_package_to_install()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load("/nonexistent", train: true));
        Assert.Contains("dataset-fashion-mnist", ex.Message, StringComparison.Ordinal);
    }
}
