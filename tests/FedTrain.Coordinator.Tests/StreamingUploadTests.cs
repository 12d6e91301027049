using System.Runtime.InteropServices;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Spool;
using FedTrain.Coordinator.Storage;
using FedTrain.Coordinator.Strategies;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;

namespace FedTrain.Coordinator.Tests;

/// <summary>
/// The upload path end to end below the gRPC edge: chunks into a spool file, checked one by one, folded into the
/// running sum only once verified, and kept durably for a restarted coordinator.
/// </summary>
public sealed class StreamingUploadTests : IDisposable
{
    // Above the parallel threshold, so the fold really runs over several ranges on several threads.
    private const int Length = 1_500_001;

    // Not a multiple of 4: chunk boundaries fall inside floats.
    private const int ChunkBytes = 65_539;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fedtrain-upload-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Streaming_fedavg_equals_the_sequential_float32_formula_bit_for_bit_and_float64_within_tolerance()
    {
        var model = Vector(0, 1f);
        var updates = Enumerable.Range(1, 5).Select(k => Vector(k, 0.02f)).ToArray();
        long[] weights = [1200, 800, 3000, 15, 2500];
        var spool = new RoundUpdateSpool(Path.Combine(_directory, "spool"), null);
        var round = NewRound(model, updates.Length);
        for (int k = 0; k < updates.Length; k++)
        {
            // Either checksum a worker may send: XXH3-128 as this coordinator asks, SHA-256 as an older worker does.
            Upload(round, spool, $"c{k}", updates[k], weights[k], checksum: k % 2 == 0 ? PayloadChecksum.Xxh3128 : PayloadChecksum.Sha256);
        }

        var streamed = Finish(round);

        // The batch formula, one element at a time in the same order, in float32 and in float64.
        double total = weights.Sum();
        float scale = (float)(1.0 / total);
        double maxError = 0;
        for (int i = 0; i < Length; i++)
        {
            float sum = 0;
            double exact = 0;
            for (int k = 0; k < updates.Length; k++)
            {
                sum = (updates[k][i] * (float)weights[k]) + sum;
                exact += weights[k] * (double)updates[k][i];
            }

            Assert.Equal(BitConverter.SingleToInt32Bits((sum * scale) + model[i]), BitConverter.SingleToInt32Bits(streamed[i]));
            maxError = Math.Max(maxError, Math.Abs(model[i] + (exact / total) - streamed[i]));
        }

        // float32 rounding of w·Δ, the sum and w + Δ̄ (|w| ≤ 1): a few ulps of 1.
        Assert.True(maxError < 5e-7, $"max error {maxError}");
    }

    [Fact]
    public void Refused_and_cut_uploads_leave_the_aggregate_bit_identical_and_no_file_behind()
    {
        var model = Vector(0, 1f);
        var a = Vector(1, 0.02f);
        var c = Vector(2, 0.02f);
        string spoolDirectory = Path.Combine(_directory, "spool");
        var spool = new RoundUpdateSpool(spoolDirectory, null);

        var clean = NewRound(model, 2);
        Upload(clean, spool, "c0", a, 100);
        Upload(clean, spool, "c1", c, 300);
        var expected = Finish(clean);

        var disturbed = NewRound(model, 5);
        Upload(disturbed, spool, "c0", a, 100);

        var late = Vector(3, 0.02f);
        late[Length - 3] = float.NaN; // in the very last chunk
        var nan = Assert.Throws<PayloadException>(() => Upload(disturbed, spool, "c2", late, 50));
        Assert.Equal(PayloadError.NonFinite, nan.Error);
        Assert.Contains($"parameter {Length - 3}", nan.Message, StringComparison.Ordinal);

        var corrupt = Vector(4, 0.02f);
        var mismatch = Assert.Throws<PayloadException>(() => Upload(disturbed, spool, "c3", corrupt, 50, corruptByte: (Length * 4L) - 2));
        Assert.Equal(PayloadError.ChecksumMismatch, mismatch.Error);
        Assert.Contains("XXH3-128", mismatch.Message, StringComparison.Ordinal);
        var shaMismatch = Assert.Throws<PayloadException>(
            () => Upload(disturbed, spool, "c3", corrupt, 50, corruptByte: 5, checksum: PayloadChecksum.Sha256));
        Assert.Equal(PayloadError.ChecksumMismatch, shaMismatch.Error);
        Assert.Contains("SHA-256", shaMismatch.Message, StringComparison.Ordinal);

        var cut = Assert.Throws<PayloadException>(() => Upload(disturbed, spool, "c4", Vector(5, 0.02f), 50, stopAfterBytes: Length * 2L));
        Assert.Equal(PayloadError.Truncated, cut.Error);

        Upload(disturbed, spool, "c1", c, 300);
        var actual = Finish(disturbed);

        Assert.True(MemoryMarshal.AsBytes(expected.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(actual.AsSpan())));
        Assert.DoesNotContain(Directory.EnumerateFiles(spoolDirectory), f => f.EndsWith(".part", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Kept_updates_survive_a_restart_are_folded_once_and_leftovers_are_swept()
    {
        var model = Vector(0, 1f);
        var a = Vector(1, 0.02f);
        var b = Vector(2, 0.02f);
        string spoolDirectory = Path.Combine(_directory, "spool");
        string database = Path.Combine(_directory, "coordinator.db");
        Directory.CreateDirectory(_directory);
        float[] expected;
        using (var store = new SqliteCoordinatorStore(database))
        {
            var spool = new RoundUpdateSpool(spoolDirectory, store);
            var round = NewRound(model, 3);
            Upload(round, spool, "c0", a, 100);
            Upload(round, spool, "c1", b, 300);
            expected = Finish(round);
        }

        // What a crash leaves: an upload still being received and a renamed file whose journal row never landed.
        File.WriteAllBytes(Path.Combine(spoolDirectory, "round-000003-c2-0123.part"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(spoolDirectory, RoundUpdateSpool.FileNameFor(3, "c2")), new byte[Length * 4]);

        using (var reopened = new SqliteCoordinatorStore(database))
        {
            var spool = new RoundUpdateSpool(spoolDirectory, reopened);
            var skipped = new List<string>();
            var kept = await spool.RestoreAsync("run-1", 3, modelVersion: 2, Length, (u, reason) => skipped.Add(u.ClientId + ": " + reason));
            Assert.Empty(skipped);
            Assert.Equal(["c0", "c1"], kept.Select(k => k.Update.ClientId));
            Assert.Equal([100L, 300L], kept.Select(k => k.Update.ExampleCount));
            Assert.Equal(2, Directory.EnumerateFiles(spoolDirectory).Count());

            var resumed = NewRound(model, 3);
            resumed.State.Restore(kept);

            Assert.Equal(["c2"], resumed.State.Pending().Select(c => c.ClientId));
            var duplicate = Assert.Throws<UpdateRejectedException>(() => Upload(resumed, spool, "c0", a, 100));
            Assert.Equal(RejectionKind.Duplicate, duplicate.Kind);
            Assert.True(MemoryMarshal.AsBytes(expected.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(Finish(resumed).AsSpan())));

            // A model that moved on makes the kept updates stale; after the commit nothing is left.
            var stale = new List<string>();
            var none = await spool.RestoreAsync("run-1", 3, modelVersion: 3, Length, (u, reason) => stale.Add(u.ClientId));
            Assert.Empty(none);
            Assert.Equal(["c0", "c1"], stale);
            await spool.DiscardAsync("run-1", 3);
            Assert.Empty(await reopened.LoadKeptUpdatesAsync("run-1", 3));
            Assert.Empty(Directory.EnumerateFiles(spoolDirectory));
        }
    }

    private static float[] Vector(int seed, float scale)
    {
        var rng = new Random(seed);
        var values = new float[Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(rng.NextDouble() - 0.5) * scale;
        }

        return values;
    }

    /// <summary>Round 3 of run-1, training model version 2, with clients c0 … c(n−1) selected, under FedAvg.</summary>
    private static Round NewRound(float[] model, int clients)
    {
        var aggregator = StrategyFactory.Create(new StrategyOptions(), 1, Length, 0.1, Path.GetTempPath()).Begin(3, clients, clients);
        var state = new RoundState(
            "run-1", 3, new ModelSnapshot(2, (float[])model.Clone()),
            Enumerable.Range(0, clients).Select(k => new ClientInfo($"c{k}", $"c{k}", 5000, [5000])),
            DateTimeOffset.UtcNow.AddMinutes(1), aggregator);
        return new Round(state, aggregator);
    }

    /// <summary>Streams <paramref name="update"/> in odd-sized chunks through a file writer into the round.</summary>
    private static void Upload(
        Round round, RoundUpdateSpool spool, string client, float[] update, long examples, long corruptByte = -1, long stopAfterBytes = -1,
        PayloadChecksum checksum = PayloadChecksum.Xxh3128)
    {
        var header = PayloadCodec.CreateHeader(update, update.Length, ChunkBytes, checksum: checksum);
        var bytes = MemoryMarshal.AsBytes(update.AsSpan()).ToArray();
        if (corruptByte >= 0)
        {
            bytes[corruptByte] ^= 0x01;
        }

        long end = stopAfterBytes >= 0 ? stopAfterBytes : bytes.Length;
        using var upload = spool.Begin(round.State.Round, client);
        using (var writer = new PayloadFileWriter(header, upload.File, bytes.Length))
        {
            for (long offset = 0; offset < end; offset += ChunkBytes)
            {
                writer.Append(bytes.AsSpan((int)offset, (int)Math.Min(ChunkBytes, end - offset)));
            }

            writer.Complete();
        }

        // Waited for, as the service acknowledges an upload only once its journal record is durable: a test that closes
        // the store straight after must not race the record's commit.
        round.State.AcceptUpload(client, client, spool, upload, examples, ex => throw ex).GetAwaiter().GetResult();
    }

    private static float[] Finish(Round round)
    {
        var destination = new float[Length];
        var outcome = round.Aggregator.Finish(round.State.Model.Parameters, destination);
        Assert.True(outcome.Applied);
        return destination;
    }

    private sealed record Round(RoundState State, IRoundAggregator Aggregator);
}
