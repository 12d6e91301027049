using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using SkiaSharp;

namespace FedTrain.Integration.Tests.Support;

/// <summary>Writes data sets in the formats a data owner brings: image folders, IDX, Parquet, NumPy, safetensors.</summary>
internal static class DataFiles
{
    /// <summary>Debian's python3-statsmodels ships the classic mode-choice table (Greene): 840 rows, 4 travel modes, separated by ';'.</summary>
    public const string ModeChoiceCsv = "/usr/lib/python3/dist-packages/statsmodels/datasets/modechoice/modechoice.csv";

    /// <summary>The first <paramref name="count"/> images and labels of a Fashion-MNIST split, as raw bytes.</summary>
    public static (byte[][] Images, byte[] Labels) FashionMnist(bool train, int count)
    {
        string prefix = train ? "train" : "t10k";
        byte[] images = Gunzip($"/usr/share/datasets/fashion-mnist/{prefix}-images-idx3-ubyte.gz");
        byte[] labels = Gunzip($"/usr/share/datasets/fashion-mnist/{prefix}-labels-idx1-ubyte.gz");
        var result = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            result[i] = images.AsSpan(16 + (i * 784), 784).ToArray();
        }

        return (result, labels.AsSpan(8, count).ToArray());
    }

    /// <summary>Writes each image as <c>ROOT/class-K/NNNNN.png</c> (torchvision's ImageFolder layout).</summary>
    public static void WritePngFolder(string root, byte[][] images, byte[] labels)
    {
        for (int i = 0; i < images.Length; i++)
        {
            string folder = Path.Combine(root, $"class-{labels[i]}");
            Directory.CreateDirectory(folder);
            using var bitmap = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
            images[i].CopyTo(bitmap.GetPixelSpan());
            using var image = SKImage.FromBitmap(bitmap);
            using var data = image.Encode(SKEncodedImageFormat.Png, 100);
            using var file = File.Create(Path.Combine(folder, $"{i:D5}.png"));
            data.SaveTo(file);
        }
    }

    /// <summary>Writes IDX files under the names the IDX loader reads (<c>train-*</c> or <c>t10k-*</c>).</summary>
    public static void WriteIdx(string folder, bool train, byte[][] images, byte[] labels)
    {
        Directory.CreateDirectory(folder);
        string prefix = train ? "train" : "t10k";
        using (var file = File.Create(Path.Combine(folder, $"{prefix}-images-idx3-ubyte")))
        {
            file.Write(Header(0x0803, images.Length, 28, 28));
            foreach (byte[] image in images)
            {
                file.Write(image);
            }
        }

        using var labelFile = File.Create(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte"));
        labelFile.Write(Header(0x0801, labels.Length));
        labelFile.Write(labels);
    }

    /// <summary>A safetensors file of float32 <c>x</c> [n, d] and int64 <c>y</c> [n], laid out as the format defines.</summary>
    public static void WriteSafetensors(string path, float[] x, int features, long[] y)
    {
        byte[] xBytes = x.SelectMany(BitConverter.GetBytes).ToArray();
        byte[] yBytes = y.SelectMany(BitConverter.GetBytes).ToArray();
        var header = new Dictionary<string, object>
        {
            ["x"] = new { dtype = "F32", shape = new[] { y.Length, features }, data_offsets = new long[] { 0, xBytes.Length } },
            ["y"] = new { dtype = "I64", shape = new[] { y.Length }, data_offsets = new long[] { xBytes.Length, xBytes.Length + yBytes.Length } },
        };
        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        file.Write(xBytes);
        file.Write(yBytes);
    }

    /// <summary>Runs a Python script in Debian's python3 (NumPy comes with the test dependencies).</summary>
    public static void Python(string script)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardInput = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("/usr/bin/python3 did not start.");
        process.StandardInput.Write(script);
        process.StandardInput.Close();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("python3 failed: " + error);
        }
    }

    /// <summary>Gaussian blobs: <paramref name="classes"/> classes in <paramref name="features"/> features, well apart.</summary>
    public static (float[] X, long[] Y) Blobs(int rows, int features, int classes, ulong seed)
    {
        var random = new Random((int)seed);
        var x = new float[rows * features];
        var y = new long[rows];
        for (int i = 0; i < rows; i++)
        {
            y[i] = i % classes;
            for (int f = 0; f < features; f++)
            {
                double centre = f % classes == y[i] ? 3 : 0;
                x[(i * features) + f] = (float)(centre + (random.NextDouble() * 2) - 1 + (f * 10));
            }
        }

        return (x, y);
    }

    private static byte[] Header(int magic, params int[] dims)
    {
        var header = new byte[4 * (dims.Length + 1)];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 * (i + 1)), dims[i]);
        }

        return header;
    }

    private static byte[] Gunzip(string path)
    {
        using var input = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
