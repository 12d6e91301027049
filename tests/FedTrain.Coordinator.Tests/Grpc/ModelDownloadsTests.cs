using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FedTrain.Coordinator.Grpc;
using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Models;
using FedTrain.Protos.Payloads;

namespace FedTrain.Coordinator.Tests.Grpc;

/// <summary>
/// The edge encodes a snapshot's download once: every download of it gets the same messages, whose chunks wrap the
/// snapshot's buffer, and they reassemble into the snapshot's parameters with its SHA-256 and the run's manifest.
/// </summary>
public sealed class ModelDownloadsTests
{
    private const int ChunkBytes = 4096;

    private static readonly ParameterManifest Manifest = new([new TensorInfo("w", [2_500], 0), new TensorInfo("b", [3], 2_500)]);

    private static ModelSnapshot Snapshot(long version) =>
        new(version, [.. Enumerable.Range(0, 2_503).Select(i => i * 0.5f - version)]);

    [Fact]
    public void A_snapshot_is_encoded_once_and_each_snapshot_apart()
    {
        var downloads = new ModelDownloads(Manifest, ChunkBytes);
        var first = Snapshot(1);

        var download = downloads.For(first);

        Assert.Same(download, downloads.For(first));
        Assert.NotSame(download, downloads.For(Snapshot(2)));
    }

    [Fact]
    public void The_chunks_wrap_the_snapshot_buffer_and_reassemble_into_its_parameters()
    {
        var model = Snapshot(3);
        var download = new ModelDownloads(Manifest, ChunkBytes).For(model);
        var header = download.Header.Header;

        Assert.Equal(model.Sha256, header.Sha256.ToByteArray());
        Assert.Equal(model.PayloadBytes, header.TotalBytes);
        Assert.Equal(model.PayloadBytes, download.PayloadBytes);
        Assert.Equal(["w", "b"], PayloadCodec.ReadManifest(header)!.Tensors.Select(t => t.Name));
        Assert.Equal((model.PayloadBytes + ChunkBytes - 1) / ChunkBytes, download.Data.Count);
        // No copy: the first chunk's bytes are the snapshot's own.
        Assert.True(Unsafe.AreSame(
            ref MemoryMarshal.GetReference(download.Data[0].Data.Span),
            ref MemoryMarshal.GetReference(MemoryMarshal.AsBytes(model.Parameters))));

        var received = new float[model.ParameterCount];
        using (var assembler = new PayloadAssembler(header, received, model.PayloadBytes))
        {
            foreach (var chunk in download.Data)
            {
                assembler.Append(chunk.Data.Span);
            }

            assembler.Complete();
        }

        Assert.Equal(model.Parameters.ToArray(), received);
    }
}
