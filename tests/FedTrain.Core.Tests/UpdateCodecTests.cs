using System.Runtime.InteropServices;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Compression;

namespace FedTrain.Core.Tests;

/// <summary>Round trips of the update encodings, their error bounds, and range decoding from spool files.</summary>
public sealed class UpdateCodecTests : IDisposable
{
    // Three full int8 blocks and a partial one, so every range rule meets a short last block.
    private const int Length = (3 * EncodedLayout.Int8BlockSize) + 123;

    private readonly string _directory = Directory.CreateTempSubdirectory("fedtrain-codec-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(UpdateEncoding.Float32, Length * 4L)]
    [InlineData(UpdateEncoding.Float16, Length * 2L)]
    [InlineData(UpdateEncoding.Int8, (4 * 4L) + Length)]
    public void Encoded_sizes_follow_the_layout(UpdateEncoding encoding, long bytes)
    {
        Assert.Equal(bytes, EncodedLayout.EncodedBytes(encoding, Length));
        Assert.Equal(0, EncodedLayout.EncodedBytes(encoding, 0));
    }

    [Fact]
    public void Int8_is_about_a_quarter_of_float32_for_a_real_model()
    {
        const long cnn = 421_642; // the demo CNN's parameter count
        double ratio = EncodedLayout.EncodedBytes(UpdateEncoding.Int8, cnn) / (double)EncodedLayout.EncodedBytes(UpdateEncoding.Float32, cnn);
        Assert.InRange(ratio, 0.25, 0.2503);
    }

    [Fact]
    public void Float16_round_trip_is_within_half_an_ulp_relative()
    {
        var values = Values(1, spread: true);
        var decoded = RoundTrip(values, UpdateEncoding.Float16, out var residual);
        for (int i = 0; i < values.Length; i++)
        {
            // Normal float16 numbers carry 11 significant bits: rounding costs at most 2^-11 relative.
            Assert.True(Math.Abs(values[i] - decoded[i]) <= Math.Abs(values[i]) * Math.Pow(2, -11), $"{values[i]} became {decoded[i]}");
            Assert.Equal(values[i] - decoded[i], residual[i]);
        }
    }

    [Fact]
    public void Int8_round_trip_is_within_half_a_quantum_per_block()
    {
        var values = Values(2, spread: false);
        values.AsSpan(EncodedLayout.Int8BlockSize, EncodedLayout.Int8BlockSize).Clear(); // an all-zero block
        var encoded = Encode(values, UpdateEncoding.Int8, out var residual);
        var scales = MemoryMarshal.Cast<byte, float>(encoded.AsSpan(0, (int)EncodedLayout.Int8ValuesOffset(Length)));
        var decoded = new float[Length];
        UpdateDecoder.Decode(encoded, UpdateEncoding.Int8, decoded);

        Assert.Equal(0f, scales[1]);
        for (int i = 0; i < values.Length; i++)
        {
            float scale = scales[i / EncodedLayout.Int8BlockSize];
            Assert.True(Math.Abs(values[i] - decoded[i]) <= scale * 0.50001f, $"parameter {i}: {values[i]} became {decoded[i]}, scale {scale}");
            Assert.Equal(values[i] - decoded[i], residual[i]);
        }

        // The block's largest magnitude is represented (almost) exactly: it defines the scale.
        int peak = Enumerable.Range(0, EncodedLayout.Int8BlockSize).MaxBy(i => Math.Abs(values[i]));
        Assert.Equal(values[peak], decoded[peak], 1e-6);
        Assert.All(decoded.AsSpan(EncodedLayout.Int8BlockSize, EncodedLayout.Int8BlockSize).ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(UpdateEncoding.Float32)]
    [InlineData(UpdateEncoding.Float16)]
    [InlineData(UpdateEncoding.Int8)]
    public void Range_decoding_from_a_spool_file_equals_full_decoding(UpdateEncoding encoding)
    {
        var values = Values(3, spread: true);
        var encoded = Encode(values, encoding, out _);
        var full = new float[Length];
        UpdateDecoder.Decode(encoded, encoding, full);
        string path = Path.Combine(_directory, $"update-{encoding}");
        File.WriteAllBytes(path, encoded);

        using var spooled = SpooledUpdate.Open(path, Length, encoding);
        Assert.Equal(encoded.LongLength, spooled.EncodedBytes);
        const int b = EncodedLayout.Int8BlockSize;
        (int Start, int Count)[] ranges =
        [
            (0, Length), (0, 1), (b - 1, 2), (b - 7, b + 14), (1, (3 * b) + 100), (2 * b, b), ((3 * b) - 1, 124), (Length - 5, 5), (Length - 1, 1),
        ];
        foreach (var (start, count) in ranges)
        {
            var range = new float[count];
            spooled.ReadRange(start, range);
            Assert.True(
                MemoryMarshal.AsBytes(full.AsSpan(start, count)).SequenceEqual(MemoryMarshal.AsBytes(range.AsSpan())),
                $"{encoding} range [{start}, {start + count}) differs from the full decode");
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => spooled.ReadRange(Length - 1, new float[2]));
    }

    [Fact]
    public void A_spool_file_of_another_encodings_size_is_refused_with_both_sizes()
    {
        string path = Path.Combine(_directory, "float32");
        File.WriteAllBytes(path, new byte[Length * 4]);
        var refusal = Assert.Throws<InvalidDataException>(() => SpooledUpdate.Open(path, Length, UpdateEncoding.Int8));
        Assert.Contains($"{Length * 4} bytes", refusal.Message, StringComparison.Ordinal);
        Assert.Contains($"{EncodedLayout.EncodedBytes(UpdateEncoding.Int8, Length)} (int8 encoding)", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Operator_names_parse_and_a_typo_is_refused_with_the_choices()
    {
        Assert.Equal((UpdateEncoding.Float32, 0), UpdateCompression.Parse("none"));
        Assert.Equal((UpdateEncoding.Float16, 0), UpdateCompression.Parse("float16"));
        Assert.Equal((UpdateEncoding.Int8, 0), UpdateCompression.Parse(" INT8 "));
        Assert.Equal((UpdateEncoding.TopK, 0.05), UpdateCompression.Parse("topk:0.05"));
        Assert.Equal((UpdateEncoding.TopK, UpdateCompression.DefaultTopKFraction), UpdateCompression.Parse("topk"));
        var typo = Assert.Throws<ArgumentException>(() => UpdateCompression.Parse("int4"));
        Assert.Contains("none, float16, int8, topk:FRACTION", typo.Message, StringComparison.Ordinal);
        foreach (string bad in new[] { "topk:0", "topk:1.5", "topk:-0.1", "topk:NaN", "topk:", "topk0.1" })
        {
            Assert.Contains("in (0, 1]", Assert.Throws<ArgumentException>(() => UpdateCompression.Parse(bad)).Message, StringComparison.Ordinal);
        }

        Assert.All(Enum.GetValues<UpdateEncoding>(), e => Assert.Equal(e, UpdateCompression.Parse(UpdateCompression.Describe(e, 0.25)).Encoding));
        Assert.Equal("topk:0.25", UpdateCompression.Describe(UpdateEncoding.TopK, 0.25));
        Assert.Equal(["float32", "float16", "int8", "topk"], Enum.GetValues<UpdateEncoding>().Select(UpdateCompression.FormatName));
    }

    /// <summary>Values of mixed signs; with <paramref name="spread"/>, magnitudes over six decades (float16 normals).</summary>
    internal static float[] Values(int seed, bool spread)
    {
        var random = new Random(seed);
        var values = new float[Length];
        for (int i = 0; i < values.Length; i++)
        {
            double magnitude = spread ? Math.Pow(10, (random.NextDouble() * 6) - 4) : random.NextDouble() * 0.01;
            values[i] = (float)(random.Next(2) == 0 ? -magnitude : magnitude);
        }

        return values;
    }

    private static byte[] Encode(float[] values, UpdateEncoding encoding, out float[] residual)
    {
        var encoded = new byte[EncodedLayout.EncodedBytes(encoding, values.Length)];
        residual = new float[values.Length];
        UpdateEncoder.Encode(values, encoding, encoded, residual);
        return encoded;
    }

    private static float[] RoundTrip(float[] values, UpdateEncoding encoding, out float[] residual)
    {
        var decoded = new float[values.Length];
        UpdateDecoder.Decode(Encode(values, encoding, out residual), encoding, decoded);
        return decoded;
    }
}
