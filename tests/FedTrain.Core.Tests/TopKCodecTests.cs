using System.Runtime.InteropServices;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Compression;

namespace FedTrain.Core.Tests;

/// <summary>Top-k sparsification: its layout, what it keeps, its residual, and range decoding from spool files.</summary>
public sealed class TopKCodecTests : IDisposable
{
    private const int Block = EncodedLayout.TopKBlockSize;

    // Three full blocks and a short one of 123 values.
    private const int Length = (3 * Block) + 123;

    private readonly string _directory = Directory.CreateTempSubdirectory("fedtrain-topk-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_size_follows_from_m_and_gives_m_back()
    {
        Assert.Equal(41, EncodedLayout.TopKKeptPerBlock(Length, 0.01));
        Assert.Equal(1, EncodedLayout.TopKKeptPerBlock(Length, 1e-9));
        Assert.Equal(Block, EncodedLayout.TopKKeptPerBlock(Length, 1));
        Assert.Equal(100, EncodedLayout.TopKKeptPerBlock(100, 1)); // a model smaller than one block
        Assert.Throws<ArgumentOutOfRangeException>(() => EncodedLayout.TopKKeptPerBlock(Length, 0));

        // Every block sends m; the short last block min(m, 123).
        Assert.Equal(6L * ((3 * 41) + 41), EncodedLayout.EncodedBytes(UpdateEncoding.TopK, Length, 41));
        Assert.Equal(6L * ((3 * 200) + 123), EncodedLayout.EncodedBytes(UpdateEncoding.TopK, Length, 200));
        for (int m = 1; m <= Block; m++)
        {
            Assert.Equal(m, EncodedLayout.TopKKeptPerBlockOfSize(Length, EncodedLayout.EncodedBytes(UpdateEncoding.TopK, Length, m)));
        }

        Assert.Equal(0, EncodedLayout.TopKKeptPerBlockOfSize(Length, (6L * ((3 * 41) + 41)) + 6)); // between two m
        Assert.Equal(0, EncodedLayout.TopKKeptPerBlockOfSize(Length, 6L * ((3 * 41) + 41) + 1));
        Assert.False(EncodedLayout.IsPossibleSize(UpdateEncoding.TopK, Length, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => EncodedLayout.EncodedBytes(UpdateEncoding.TopK, Length));
    }

    [Fact]
    public void Each_block_sends_its_m_largest_magnitudes_exactly_and_keeps_the_rest_as_residual()
    {
        const int m = 41;
        var values = UpdateCodecTests.Values(11, spread: true);
        var encoded = Encode(values, m, out var residual);
        var decoded = new float[Length];
        UpdateDecoder.Decode(encoded, UpdateEncoding.TopK, decoded);

        for (int start = 0; start < Length; start += Block)
        {
            int count = Math.Min(Block, Length - start);
            var block = values.AsSpan(start, count).ToArray();
            var sent = Enumerable.Range(start, count).Where(i => decoded[i] != 0).ToArray();
            Assert.Equal(m, sent.Length);
            float smallestSent = sent.Min(i => Math.Abs(values[i]));
            float largestDropped = Enumerable.Range(start, count).Except(sent).Max(i => Math.Abs(values[i]));
            Assert.True(smallestSent >= largestDropped, $"block at {start}: sent down to {smallestSent}, dropped {largestDropped}");
        }

        for (int i = 0; i < Length; i++)
        {
            Assert.True(decoded[i] == 0 || decoded[i] == values[i], $"parameter {i}: {values[i]} became {decoded[i]}");
            Assert.Equal(values[i] - decoded[i], residual[i]);
        }

        Assert.Equal(6 * 4 * m, encoded.Length); // 41 six-byte entries from each of the 4 blocks
    }

    [Fact]
    public void Ties_at_the_threshold_go_to_the_lowest_offsets_and_m_above_the_block_keeps_it_all()
    {
        var values = new float[Length];
        values.AsSpan().Fill(0.5f);
        values[Block + 4000] = -2f; // one larger value in the second block
        var encoded = Encode(values, m: 3, out _);
        var offsets = MemoryMarshal.Cast<byte, ushort>(encoded.AsSpan(0, encoded.Length / 6 * 2));
        Assert.Equal([0, 1, 2], offsets[..3].ToArray());
        Assert.Equal([0, 1, 4000], offsets[3..6].ToArray());

        // The short last block (123 values) sends all of them when m is larger.
        var all = Encode(UpdateCodecTests.Values(12, spread: false), m: 200, out var residual);
        var decoded = new float[Length];
        UpdateDecoder.Decode(all, UpdateEncoding.TopK, decoded);
        Assert.All(residual.AsSpan(3 * Block).ToArray(), r => Assert.Equal(0f, r));
    }

    [Fact]
    public void A_nan_is_always_sent_so_the_coordinator_sees_it()
    {
        var values = UpdateCodecTests.Values(13, spread: false);
        values[Block + 17] = float.NaN;
        var decoded = new float[Length];
        UpdateDecoder.Decode(Encode(values, m: 1, out _), UpdateEncoding.TopK, decoded);
        Assert.True(float.IsNaN(decoded[Block + 17]));
    }

    [Fact]
    public void Range_decoding_from_a_spool_file_equals_full_decoding()
    {
        var values = UpdateCodecTests.Values(14, spread: true);
        var encoded = Encode(values, m: 300, out _);
        var full = new float[Length];
        UpdateDecoder.Decode(encoded, UpdateEncoding.TopK, full);
        string path = Path.Combine(_directory, "update-topk");
        File.WriteAllBytes(path, encoded);

        using var spooled = SpooledUpdate.Open(path, Length, UpdateEncoding.TopK);
        Assert.Equal(encoded.LongLength, spooled.EncodedBytes);
        (int Start, int Count)[] ranges =
        [
            (0, Length), (0, 1), (Block - 1, 2), (Block - 7, Block + 14), (1, (3 * Block) + 100), (2 * Block, Block), ((3 * Block) - 1, 124), (Length - 5, 5), (Length - 1, 1),
        ];
        foreach (var (start, count) in ranges)
        {
            var range = new float[count];
            range.AsSpan().Fill(float.NaN); // a range decode must write every element, zeros included
            spooled.ReadRange(start, range);
            Assert.True(
                MemoryMarshal.AsBytes(full.AsSpan(start, count)).SequenceEqual(MemoryMarshal.AsBytes(range.AsSpan())),
                $"top-k range [{start}, {start + count}) differs from the full decode");
        }

        File.WriteAllBytes(path, encoded.AsSpan(0, encoded.Length - 6).ToArray());
        Assert.Contains("a whole number of entries per block", Assert.Throws<InvalidDataException>(() => SpooledUpdate.Open(path, Length, UpdateEncoding.TopK)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_feedback_sends_values_that_never_make_the_top_k_on_their_own()
    {
        // A steady delta of which one round's top 1 % is always the same values: with feedback the others grow until
        // sent, and the decoded updates sum to the true deltas minus only the last residual.
        var feedback = new ErrorFeedback();
        var delta = UpdateCodecTests.Values(15, spread: false);
        var sum = new double[Length];
        var bytes = new byte[EncodedLayout.EncodedBytes(UpdateEncoding.TopK, Length, 41)];
        var pending = new float[Length];
        var decoded = new float[Length];
        const int rounds = 150;
        for (int t = 0; t < rounds; t++)
        {
            var x = (float[])delta.Clone();
            feedback.Encode("c", x, UpdateEncoding.TopK, bytes, pending);
            feedback.Commit("c", pending);
            UpdateDecoder.Decode(bytes, UpdateEncoding.TopK, decoded);
            for (int i = 0; i < Length; i++)
            {
                sum[i] += decoded[i];
            }
        }

        var residual = feedback.ResidualOf("c");
        for (int i = 0; i < Length; i += 13)
        {
            Assert.Equal(rounds * (double)delta[i], sum[i] + residual[i], 1e-3);
        }

        // A block sends 41 of 4096 values a round, so a value is sent about every (Σ|δ| / 41) / |δᵢ| rounds, about
        // 100 rounds for the values of at least half the largest magnitude: all of those must have gone out.
        float largest = delta.Max(Math.Abs);
        int unsent = Enumerable.Range(0, Length).Count(i => Math.Abs(delta[i]) >= largest / 2 && sum[i] == 0);
        Assert.Equal(0, unsent);
        Assert.True(Enumerable.Range(0, Length).Count(i => sum[i] != 0) > Length / 2);
    }

    private static byte[] Encode(float[] values, int m, out float[] residual)
    {
        var encoded = new byte[EncodedLayout.EncodedBytes(UpdateEncoding.TopK, values.Length, m)];
        residual = new float[values.Length];
        UpdateEncoder.Encode(values, UpdateEncoding.TopK, encoded, residual);
        return encoded;
    }
}
