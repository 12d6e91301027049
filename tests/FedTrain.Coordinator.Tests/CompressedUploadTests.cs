using System.Runtime.InteropServices;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Spool;
using FedTrain.Coordinator.Strategies;
using FedTrain.Core.Compression;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.TestSupport;

namespace FedTrain.Coordinator.Tests;

/// <summary>
/// Compressed uploads below the gRPC edge: encoded chunks checked as they arrive (a float16 NaN/Inf or an unusable
/// int8 scale refused wherever the chunk boundaries fall), the header's size checked against its encoding, and the
/// spool file decoded once, in one place, for the FedAvg fold.
/// </summary>
public sealed class CompressedUploadTests : IDisposable
{
    // Above the parallel threshold, so the fold runs over several ranges on several threads; not a whole number of blocks.
    private const int Length = 1_100_003;

    // Odd, so chunk boundaries fall inside float16 values, int8 scales and top-k offsets and values.
    private const int ChunkBytes = 65_537;

    // Top-k keeps 1 % of each block: m = ⌈0.01 × 4096⌉ = 41 values.
    private const double TopKFraction = 0.01;

    private readonly string _directory = Directory.CreateTempSubdirectory("fedtrain-compressed-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(UpdateEncoding.Float16)]
    [InlineData(UpdateEncoding.Int8)]
    [InlineData(UpdateEncoding.TopK)]
    public void Fedavg_of_compressed_uploads_equals_fedavg_of_their_decoded_values(UpdateEncoding encoding)
    {
        var model = Vector(0, 1f);
        var updates = Enumerable.Range(1, 3).Select(k => Vector(k, 0.02f)).ToArray();
        long[] weights = [1200, 800, 3000];
        var spool = new RoundUpdateSpool(Path.Combine(_directory, "spool"), null);
        var round = NewRound(model, updates.Length, encoding);
        var decoded = new float[updates.Length][];
        for (int k = 0; k < updates.Length; k++)
        {
            var bytes = Encode(updates[k], encoding);
            decoded[k] = new float[Length];
            UpdateDecoder.Decode(bytes, encoding, decoded[k]);
            Upload(round, spool, $"c{k}", bytes, encoding, weights[k]);
        }

        var result = new float[Length];
        Assert.True(round.Aggregator.Finish(round.State.Model.Parameters, result).Applied);

        // The fold's own float32 arithmetic over the decoded values, element by element in arrival order.
        float scale = (float)(1.0 / weights.Sum());
        for (int i = 0; i < Length; i += 7)
        {
            float sum = 0;
            for (int k = 0; k < updates.Length; k++)
            {
                sum = (decoded[k][i] * (float)weights[k]) + sum;
            }

            Assert.Equal((sum * scale) + model[i], result[i]);
        }

        long encodedBytes = EncodedLayout.EncodedBytes(encoding, Length, KeptPerBlock(encoding));
        Assert.All(round.State.Accepted(), p => Assert.Equal(encodedBytes, p.UpdateBytes));
    }

    [Fact]
    public void Robust_rules_read_the_decoded_values_of_int8_uploads_from_the_spool()
    {
        var model = Vector(0, 1f);
        var updates = Enumerable.Range(1, 3).Select(k => Vector(k, 0.02f)).ToArray();
        var spool = new RoundUpdateSpool(Path.Combine(_directory, "spool"), null);
        var round = NewRound(model, updates.Length, UpdateEncoding.Int8, new StrategyOptions { Name = "median" });
        var decoded = new float[updates.Length][];
        for (int k = 0; k < updates.Length; k++)
        {
            var bytes = Encode(updates[k], UpdateEncoding.Int8);
            decoded[k] = new float[Length];
            UpdateDecoder.Decode(bytes, UpdateEncoding.Int8, decoded[k]);
            Upload(round, spool, $"c{k}", bytes, UpdateEncoding.Int8, 100 * (k + 1));
        }

        var result = new float[Length];
        Assert.True(round.Aggregator.Finish(round.State.Model.Parameters, result).Applied);
        for (int i = 0; i < Length; i += 11)
        {
            float[] column = [decoded[0][i], decoded[1][i], decoded[2][i]];
            Array.Sort(column);
            Assert.Equal(model[i] + column[1], result[i], 1e-6f);
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(Length - 2)]
    public void A_float16_infinity_or_nan_is_refused_wherever_it_falls(int position)
    {
        var values = Vector(5, 0.02f);
        var bytes = Encode(values, UpdateEncoding.Float16);
        foreach (var bad in new[] { Half.PositiveInfinity, Half.NaN, Half.NegativeInfinity })
        {
            MemoryMarshal.Write(bytes.AsSpan(position * 2), bad);
            var refusal = Assert.Throws<PayloadException>(() => Write(bytes, UpdateEncoding.Float16, segmentBytes: 1001));
            Assert.Equal(PayloadError.NonFinite, refusal.Error);
            Assert.Contains("non-finite float16 value", refusal.Message, StringComparison.Ordinal);
            Assert.Contains($"parameter {position}", refusal.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_int8_scale_that_decodes_to_non_finite_values_is_refused()
    {
        var bytes = Encode(Vector(6, 0.02f), UpdateEncoding.Int8);
        int block = 200;
        MemoryMarshal.Write(bytes.AsSpan(block * sizeof(float)), float.NaN);
        var refusal = Assert.Throws<PayloadException>(() => Write(bytes, UpdateEncoding.Int8, segmentBytes: 1003));
        Assert.Equal(PayloadError.NonFinite, refusal.Error);
        Assert.Contains($"int8 block {block}", refusal.Message, StringComparison.Ordinal);

        MemoryMarshal.Write(bytes.AsSpan(block * sizeof(float)), float.MaxValue);
        Assert.Equal(PayloadError.NonFinite, Assert.Throws<PayloadException>(() => Write(bytes, UpdateEncoding.Int8, segmentBytes: 1003)).Error);
    }

    [Theory]
    [InlineData(1001)]
    [InlineData(1)]
    public void Top_k_offsets_outside_their_block_or_out_of_order_and_non_finite_values_are_refused(int segmentBytes)
    {
        var good = Encode(Vector(9, 0.02f), UpdateEncoding.TopK);
        long entries = good.Length / EncodedLayout.TopKEntryBytes;
        int m = EncodedLayout.TopKKeptPerBlock(Length, TopKFraction);
        long lastBlock = (Length - 1) / EncodedLayout.TopKBlockSize;
        int lastBlockLength = Length - ((int)lastBlock * EncodedLayout.TopKBlockSize);
        Write(good, UpdateEncoding.TopK, segmentBytes);

        // The short last block's final entry pointing past the model's end.
        var bytes = (byte[])good.Clone();
        long last = entries - 1;
        MemoryMarshal.Write(bytes.AsSpan((int)last * 2), (ushort)lastBlockLength);
        var refusal = Assert.Throws<PayloadException>(() => Write(bytes, UpdateEncoding.TopK, segmentBytes));
        Assert.Equal(PayloadError.BadEncoding, refusal.Error);
        Assert.Contains($"entry {last} has offset {lastBlockLength}, outside its block {lastBlock} of {lastBlockLength} parameters", refusal.Message, StringComparison.Ordinal);

        // An entry repeating the offset before it in its block (it would overwrite one parameter twice).
        bytes = (byte[])good.Clone();
        int entry = (5 * m) + 3;
        ushort before = MemoryMarshal.Read<ushort>(bytes.AsSpan((entry - 1) * 2));
        MemoryMarshal.Write(bytes.AsSpan(entry * 2), before);
        refusal = Assert.Throws<PayloadException>(() => Write(bytes, UpdateEncoding.TopK, segmentBytes));
        Assert.Equal(PayloadError.BadEncoding, refusal.Error);
        Assert.Contains($"not above the entry before it ({before})", refusal.Message, StringComparison.Ordinal);

        // A block's first entry may lie below the previous block's last.
        Assert.True(MemoryMarshal.Read<ushort>(good.AsSpan(m * 2)) < 4096);

        bytes = (byte[])good.Clone();
        MemoryMarshal.Write(bytes.AsSpan((int)((entries * 2) + (7 * sizeof(float)))), float.NegativeInfinity);
        refusal = Assert.Throws<PayloadException>(() => Write(bytes, UpdateEncoding.TopK, segmentBytes));
        Assert.Equal(PayloadError.NonFinite, refusal.Error);
        Assert.Contains("at top-k entry 7", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_whose_size_does_not_match_its_encoding_is_refused_before_any_byte()
    {
        var bytes = Encode(Vector(7, 0.02f), UpdateEncoding.Int8);
        var header = EncodedPayloadCodec.CreateHeader(bytes, bytes.Length, UpdateEncoding.Int8, Length, ChunkBytes);
        header.TotalBytes = Length * 4L; // what a float32 update of the same model would announce
        using var file = File.OpenHandle(Path.Combine(_directory, "bad-header"), FileMode.Create, FileAccess.ReadWrite);
        var refusal = Assert.Throws<PayloadException>(() => new PayloadFileWriter(header, file, bytes.Length));
        Assert.Equal(PayloadError.BadHeader, refusal.Error);
        Assert.Contains("int8 encoding", refusal.Message, StringComparison.Ordinal);

        header.TotalBytes = bytes.Length;
        header.Encoding = (PayloadEncoding)9;
        Assert.Contains("Unknown payload encoding 9", Assert.Throws<PayloadException>(() => new PayloadFileWriter(header, file, bytes.Length)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Downloads_refuse_a_compressed_model_payload()
    {
        var bytes = Encode(Vector(8, 0.02f), UpdateEncoding.Float16);
        var header = EncodedPayloadCodec.CreateHeader(bytes, bytes.Length, UpdateEncoding.Float16, Length, ChunkBytes);
        var refusal = Assert.Throws<PayloadException>(() => new PayloadAssembler(header, new float[Length], bytes.Length));
        Assert.Equal(PayloadError.BadHeader, refusal.Error);
    }

    private static float[] Vector(int seed, float scale)
    {
        var random = new Random(seed);
        var values = new float[Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() - 0.5) * scale;
        }

        return values;
    }

    private static int KeptPerBlock(UpdateEncoding encoding) =>
        encoding == UpdateEncoding.TopK ? EncodedLayout.TopKKeptPerBlock(Length, TopKFraction) : 0;

    private static byte[] Encode(float[] values, UpdateEncoding encoding)
    {
        var bytes = new byte[EncodedLayout.EncodedBytes(encoding, values.Length, KeptPerBlock(encoding))];
        UpdateEncoder.Encode(values, encoding, bytes, []);
        return bytes;
    }

    /// <summary>Writes the encoded bytes through a file writer in odd chunks, each in odd pipe segments.</summary>
    private void Write(byte[] bytes, UpdateEncoding encoding, int segmentBytes)
    {
        var header = EncodedPayloadCodec.CreateHeader(bytes, bytes.Length, encoding, Length, ChunkBytes);
        using var file = File.OpenHandle(Path.Combine(_directory, "upload-" + Guid.NewGuid().ToString("N")), FileMode.Create, FileAccess.ReadWrite);
        using var writer = new PayloadFileWriter(header, file, bytes.Length);
        for (int offset = 0; offset < bytes.Length; offset += ChunkBytes)
        {
            writer.Append(SegmentedSequence.Chunked(bytes[offset..Math.Min(bytes.Length, offset + ChunkBytes)], segmentBytes));
        }

        writer.Complete();
    }

    private static Round NewRound(float[] model, int clients, UpdateEncoding encoding, StrategyOptions? strategy = null)
    {
        var aggregator = StrategyFactory.Create(strategy ?? new StrategyOptions(), 1, Length, 0.1, Path.GetTempPath()).Begin(3, clients, clients);
        var state = new RoundState(
            "run-1", 3, new ModelSnapshot(2, (float[])model.Clone()),
            Enumerable.Range(0, clients).Select(k => new ClientInfo($"c{k}", $"c{k}", 5000, [5000])),
            DateTimeOffset.UtcNow.AddMinutes(1), aggregator)
        {
            Encoding = encoding,
            TopKFraction = encoding == UpdateEncoding.TopK ? TopKFraction : 0,
        };
        return new Round(state, aggregator);
    }

    private static void Upload(Round round, RoundUpdateSpool spool, string client, byte[] bytes, UpdateEncoding encoding, long examples)
    {
        var header = EncodedPayloadCodec.CreateHeader(bytes, bytes.Length, encoding, Length, ChunkBytes);
        using var upload = spool.Begin(round.State.Round, client);
        using (var writer = new PayloadFileWriter(header, upload.File, bytes.Length))
        {
            foreach (var chunk in EncodedPayloadCodec.Chunks(bytes, bytes.Length, ChunkBytes))
            {
                writer.Append(chunk.Span);
            }

            writer.Complete();
        }

        round.State.AcceptUpload(client, client, spool, upload, examples, ex => throw ex);
    }

    private sealed record Round(RoundState State, IRoundAggregator Aggregator);
}
