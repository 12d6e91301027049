using FedTrain.Integration.Tests.Support;
using FedTrain.Protos;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.Transport;
using FedTrain.Protos.V1;
using FedTrain.Protos.Wire;
using Xunit.Abstractions;

namespace FedTrain.Integration.Tests;

/// <summary>
/// Payload bytes cross the gRPC stack without a managed copy per chunk on either side. Upload: the worker's chunks
/// wrap its float buffer and are serialised once into the transport's buffer, and the coordinator copies each
/// chunk's data once into a pooled buffer on its way to the spool file. Download: the coordinator serialises each
/// chunk once from the model snapshot, and the worker copies each chunk's data once into a pooled buffer and from
/// there into its model. Client and server share this process, so the managed allocations cover both sides.
/// </summary>
/// <remarks>Allocations are counted process-wide, so these run alone, not beside other test classes.</remarks>
[Collection(PayloadAllocationGroup.Name)]
public sealed class PayloadAllocationTests(ITestOutputHelper output)
{
    private const int ChunkBytes = 1 << 20;

    [Fact]
    public async Task A_16_MB_upload_allocates_a_small_fraction_of_its_size_on_both_sides_together()
    {
        // About 4M parameters (16 MB) in 1 MiB chunks; nine workers, so the round is still open (no aggregation,
        // no checkpoint) while the uploads are measured.
        await using var coordinator = await RejectionCoordinator.StartAsync(
            "upload-allocation", ["a", "b", "c", "d", "e", "f", "g", "h", "i"], o => o.Model = FedTrain.Core.Models.ModelSpec.FashionMnistCnn with { Hidden = 1280 });
        long parameters = coordinator.Assignments["a"].ParameterCount;
        var delta = new float[parameters];
        new Random(7).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(delta.AsSpan()));
        for (int i = 0; i < delta.Length; i++)
        {
            delta[i] = (delta[i] is var v && float.IsFinite(v) && Math.Abs(v) < 1) ? v : 0.001f;
        }

        // The first upload warms up every path (JIT, pools, HTTP/2 connection); the least of the next seven counts.
        Assert.True((await UploadAsync(coordinator, "a", delta)).Accepted);
        long allocated = long.MaxValue;
        foreach (string worker in new[] { "b", "c", "d", "e", "f", "g", "h" })
        {
            allocated = Math.Min(allocated, await OwnAllocationAsync(async () => Assert.True((await UploadAsync(coordinator, worker, delta)).Accepted)));
        }

        long payload = parameters * sizeof(float);
        output.WriteLine($"{payload / 1e6:F1} MB upload in {(payload + ChunkBytes - 1) / ChunkBytes} chunks: {allocated / 1e6:F2} MB allocated");
        // One managed copy per chunk on either side would allocate at least the payload.
        Assert.True(allocated < payload / 8, $"{allocated} bytes allocated to upload {payload} bytes");
    }

    [Fact]
    public async Task A_16_MB_download_allocates_a_small_fraction_of_its_size_on_both_sides_together()
    {
        await using var coordinator = await RejectionCoordinator.StartAsync(
            "download-allocation", ["a", "b"], o => o.Model = FedTrain.Core.Models.ModelSpec.FashionMnistCnn with { Hidden = 1280 });
        var model = new float[coordinator.Assignments["a"].ParameterCount];

        await DownloadAsync(coordinator, "a", model);
        long allocated = long.MaxValue;
        for (int i = 0; i < 7; i++)
        {
            allocated = Math.Min(allocated, await OwnAllocationAsync(() => DownloadAsync(coordinator, "b", model)));
        }

        long payload = model.LongLength * sizeof(float);
        output.WriteLine($"{payload / 1e6:F1} MB download: {allocated / 1e6:F2} MB allocated");
        Assert.True(allocated < payload / 8, $"{allocated} bytes allocated to download {payload} bytes");
    }

    /// <summary>
    /// The managed bytes the process allocates while <paramref name="operation"/> runs, less what it allocates in an
    /// idle wait of the same length right after: late in a full test run something else in the process (another
    /// test's leftovers, timers) allocates a few MB a second, which is not the payload path's. That background comes
    /// in bursts, so the tests take the least of seven measurements: a copy per chunk (the payload's size, 16 MB) would
    /// show in every one of them.
    /// </summary>
    private static async Task<long> OwnAllocationAsync(Func<Task> operation)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await operation();
        var elapsed = watch.Elapsed;
        long during = GC.GetTotalAllocatedBytes(precise: true) - before;
        long idleStart = GC.GetTotalAllocatedBytes(precise: true);
        await Task.Delay(elapsed);
        return during - (GC.GetTotalAllocatedBytes(precise: true) - idleStart);
    }

    /// <summary>Downloads the round's model as a worker does, checking its SHA-256.</summary>
    private static async Task DownloadAsync(RejectionCoordinator coordinator, string worker, float[] model)
    {
        var assignment = coordinator.Assignments[worker];
        var request = new DownloadRequest { WorkerId = worker, RunId = assignment.RunId, Round = assignment.Round, ModelVersion = assignment.ModelVersion };
        PayloadAssembler? assembler = null;
        await foreach (var received in coordinator.Channel.ServerStreamingAsync(CoordinatorMethods.ReceiveModel, request))
        {
            using var chunk = received;
            if (chunk.Content == ChunkContent.Header)
            {
                assembler = new PayloadAssembler(chunk.Header!, model, model.LongLength * sizeof(float));
            }
            else
            {
                assembler!.Append(chunk.Data);
            }
        }

        assembler!.Complete();
        assembler.Dispose();
    }

    private static Task<UploadAck> UploadAsync(RejectionCoordinator coordinator, string worker, float[] delta) =>
        coordinator.Channel.ClientStreamingAsync(
            CoordinatorMethods.UploadUpdate, Chunks(coordinator.Header(worker, PayloadCodec.CreateHeader(delta, delta.LongLength, ChunkBytes)), delta));

    private static async IAsyncEnumerable<UpdateChunk> Chunks(UploadHeader header, float[] delta)
    {
        yield return new UpdateChunk { Header = header };
        foreach (var chunk in PayloadCodec.Chunks(delta, delta.LongLength, ChunkBytes))
        {
            yield return new UpdateChunk { Data = chunk };
        }

        await Task.CompletedTask;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PayloadAllocationGroup
{
    public const string Name = "payload allocation";
}
