using System.Runtime.InteropServices;
using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Compression;
using FedTrain.Integration.Tests.Support;
using FedTrain.Protos;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedTrain.Integration.Tests;

/// <summary>
/// A real coordinator (in this process, real gRPC on loopback) running with <c>--update-compression float16</c>, fed
/// uploads by hand-made workers: the wrong encoding, a size that does not match the encoding, and float16 NaN/Inf are
/// refused with a status and a reason the operator sees; the one good float16 update is decoded and applied.
/// </summary>
public sealed class CompressedUpdateRejectionTests
{
    private const int ChunkBytes = 128 * 1024;

    [Fact]
    public async Task Uploads_not_in_the_runs_encoding_or_size_are_refused_and_the_good_one_is_decoded()
    {
        string[] workers = ["good", "float32", "int8", "sized", "infinite"];
        await using var coordinator = await RejectionCoordinator.StartAsync(
            "reject-encoding", workers, options => options.UpdateCompression = UpdateEncoding.Float16);
        var host = coordinator.Host;
        var channel = coordinator.Channel;
        var assignment = coordinator.Assignments["good"];

        // The run's choice reaches every worker with its training settings.
        Assert.Equal(PayloadEncoding.Float16, assignment.Training.UpdateEncoding);
        var before = host.Orchestrator.CurrentModel.Parameters.ToArray();
        var delta = new float[assignment.ParameterCount];
        for (int i = 0; i < delta.Length; i++)
        {
            delta[i] = 0.001f * ((i % 7) - 3);
        }

        // An older worker that ignores the setting sends float32: refused, naming the option.
        var float32 = await UploadExpectingAsync(
            channel, coordinator.Header("float32", PayloadCodec.CreateHeader(delta, delta.Length, ChunkBytes)), PayloadCodec.Chunks(delta, delta.Length, ChunkBytes));
        Assert.Contains("encoded float32; this run takes float16 updates (coordinator option --update-compression float16)", float32.Status.Detail, StringComparison.Ordinal);

        var int8 = Encode(delta, UpdateEncoding.Int8);
        var int8Refusal = await RefusedAsync(coordinator, "int8", int8, UpdateEncoding.Int8, delta.Length);
        Assert.Contains("encoded int8", int8Refusal.Status.Detail, StringComparison.Ordinal);

        // float16 in name, but sized like float32.
        var half = Encode(delta, UpdateEncoding.Float16);
        var sized = EncodedPayloadCodec.CreateHeader(half, half.Length, UpdateEncoding.Float16, delta.Length, ChunkBytes);
        sized.TotalBytes = delta.Length * 4L;
        var sizeRefusal = await UploadExpectingAsync(channel, coordinator.Header("sized", sized), EncodedPayloadCodec.Chunks(half, half.Length, ChunkBytes));
        Assert.Contains($"announces {delta.Length * 4L} bytes; {delta.Length} parameters in float16 encoding take {half.Length}", sizeRefusal.Status.Detail, StringComparison.Ordinal);

        // A float16 +Inf bit pattern (0x7C00) deep in the payload: the decoded value would be +Inf.
        var infinite = (byte[])half.Clone();
        MemoryMarshal.Write(infinite.AsSpan(2 * (delta.Length - 10)), Half.PositiveInfinity);
        var infRefusal = await RefusedAsync(coordinator, "infinite", infinite, UpdateEncoding.Float16, delta.Length);
        Assert.Contains("non-finite float16 value", infRefusal.Status.Detail, StringComparison.Ordinal);
        Assert.Contains($"at parameter {delta.Length - 10}", infRefusal.Status.Detail, StringComparison.Ordinal);

        var round = await AcceptedAloneAsync(coordinator, half, UpdateEncoding.Float16, delta.Length);
        foreach (string refused in new[] { "float32", "int8", "sized", "infinite" })
        {
            Assert.Contains(round.Failures, f => f.StartsWith($"{refused}: update rejected", StringComparison.Ordinal));
        }

        // The applied update is the good worker's float16 values, decoded: exactly the model plus the decoded delta.
        var decoded = new float[delta.Length];
        UpdateDecoder.Decode(half, UpdateEncoding.Float16, decoded);
        var committed = host.Orchestrator.CurrentModel.Parameters;
        for (int i = 0; i < committed.Length; i += 97)
        {
            Assert.Equal(before[i] + decoded[i], committed[i], 1e-6);
        }

        Assert.Equal(4, coordinator.Rejections.Count);
    }

    [Fact]
    public async Task Top_k_uploads_of_another_fraction_or_with_bad_offsets_are_refused_and_the_good_one_is_decoded()
    {
        string[] workers = ["good", "denser", "offsets"];
        await using var coordinator = await RejectionCoordinator.StartAsync(
            "reject-topk", workers, options => (options.UpdateCompression, options.UpdateTopKFraction) = (UpdateEncoding.TopK, 0.05));
        var host = coordinator.Host;
        var assignment = coordinator.Assignments["good"];
        Assert.Equal(PayloadEncoding.Topk, assignment.Training.UpdateEncoding);
        Assert.Equal(0.05, assignment.Training.UpdateTopkFraction);
        var before = host.Orchestrator.CurrentModel.Parameters.ToArray();
        var delta = new float[assignment.ParameterCount];
        for (int i = 0; i < delta.Length; i++)
        {
            delta[i] = 0.001f * ((i % 11) - 5) * (1 + (i % 3));
        }

        int m = EncodedLayout.TopKKeptPerBlock(delta.Length, 0.05);
        var good = Encode(delta, UpdateEncoding.TopK, m);

        // Top-k, but keeping a tenth of each block where the run asked for a twentieth.
        var denser = Encode(delta, UpdateEncoding.TopK, EncodedLayout.TopKKeptPerBlock(delta.Length, 0.1));
        var denserRefusal = await RefusedAsync(coordinator, "denser", denser, UpdateEncoding.TopK, delta.Length);
        Assert.Contains($"in topk encoding keeping {m} values per block of 4096 take {good.Length}", denserRefusal.Status.Detail, StringComparison.Ordinal);

        // The right size, but an entry of the third block pointing past the block's end.
        var offsets = (byte[])good.Clone();
        MemoryMarshal.Write(offsets.AsSpan(2 * ((2 * m) + 1)), (ushort)4096);
        var offsetRefusal = await RefusedAsync(coordinator, "offsets", offsets, UpdateEncoding.TopK, delta.Length);
        Assert.Contains($"top-k entry {(2 * m) + 1} has offset 4096, outside its block 2", offsetRefusal.Status.Detail, StringComparison.Ordinal);

        var round = await AcceptedAloneAsync(coordinator, good, UpdateEncoding.TopK, delta.Length);
        Assert.Contains(round.Failures, f => f.StartsWith("denser: update rejected", StringComparison.Ordinal));
        Assert.Contains(round.Failures, f => f.StartsWith("offsets: update rejected", StringComparison.Ordinal));

        // Exactly the model plus the sparse delta: the values sent, and zero elsewhere.
        var decoded = new float[delta.Length];
        UpdateDecoder.Decode(good, UpdateEncoding.TopK, decoded);
        Assert.Equal(m * ((delta.Length + 4095) / 4096), decoded.Count(v => v != 0));
        var committed = host.Orchestrator.CurrentModel.Parameters;
        for (int i = 0; i < committed.Length; i++)
        {
            Assert.Equal(before[i] + decoded[i], committed[i], 1e-6);
        }
    }

    private static byte[] Encode(float[] values, UpdateEncoding encoding, int keptPerBlock = 0)
    {
        var bytes = new byte[EncodedLayout.EncodedBytes(encoding, values.Length, keptPerBlock)];
        UpdateEncoder.Encode(values, encoding, bytes, []);
        return bytes;
    }

    /// <summary>Uploads <paramref name="encoded"/> for <paramref name="worker"/>, expecting it refused.</summary>
    private static Task<RpcException> RefusedAsync(RejectionCoordinator coordinator, string worker, byte[] encoded, UpdateEncoding encoding, int parameters) =>
        UploadExpectingAsync(
            coordinator.Channel,
            coordinator.Header(worker, EncodedPayloadCodec.CreateHeader(encoded, encoded.Length, encoding, parameters, ChunkBytes)),
            EncodedPayloadCodec.Chunks(encoded, encoded.Length, ChunkBytes));

    /// <summary>Uploads worker "good"'s update, which must be accepted, and returns the round it alone took part in.</summary>
    private static async Task<RoundResult> AcceptedAloneAsync(RejectionCoordinator coordinator, byte[] encoded, UpdateEncoding encoding, int parameters)
    {
        var accepted = await coordinator.Channel.ClientStreamingAsync(
            CoordinatorMethods.UploadUpdate,
            Stream(
                coordinator.Header("good", EncodedPayloadCodec.CreateHeader(encoded, encoded.Length, encoding, parameters, ChunkBytes)),
                EncodedPayloadCodec.Chunks(encoded, encoded.Length, ChunkBytes)));
        Assert.True(accepted.Accepted);

        await coordinator.Host.Completion.WaitAsync(TimeSpan.FromSeconds(90));
        var round = Assert.Single(coordinator.Host.Orchestrator.CommittedRounds);
        Assert.Equal("good", Assert.Single(round.Participants).WorkerId);
        Assert.Equal(encoded.Length, round.UpdateBytes);
        return round;
    }

    private static async Task<RpcException> UploadExpectingAsync(GrpcChannel channel, UploadHeader header, IEnumerable<Google.Protobuf.ByteString> chunks)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.ClientStreamingAsync(CoordinatorMethods.UploadUpdate, Stream(header, chunks)));
        Assert.True(ex.StatusCode == StatusCode.InvalidArgument, $"expected InvalidArgument, got {ex.StatusCode}: {ex.Status.Detail}");
        return ex;
    }

    private static async IAsyncEnumerable<UpdateChunk> Stream(UploadHeader header, IEnumerable<Google.Protobuf.ByteString> chunks)
    {
        yield return new UpdateChunk { Header = header };
        foreach (var chunk in chunks)
        {
            yield return new UpdateChunk { Data = chunk };
        }

        await Task.CompletedTask;
    }
}
