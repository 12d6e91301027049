using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Models;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.Core.Faults;
using Google.Protobuf;
using Grpc.Core;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// The <c>DownloadModel</c> stream of one model snapshot, built once and shared by every download of that snapshot:
/// the header message and the data messages, whose chunks wrap the snapshot's own (immutable) buffer rather than copy
/// it. Serialising a message only reads it, so concurrent streams may send the same instances.
/// </summary>
internal sealed class ModelDownload
{
    public ModelDownload(ModelSnapshot model, ParameterManifest manifest, int chunkBytes)
    {
        ArgumentNullException.ThrowIfNull(model);
        var header = new PayloadHeader
        {
            TotalBytes = model.PayloadBytes,
            ParameterCount = model.ParameterCount,
            // Both: the SHA-256 names the version, the XXH3-128 is what a worker that knows it checks the bytes against.
            Sha256 = UnsafeByteOperations.UnsafeWrap(model.Sha256),
            Xxh3128 = UnsafeByteOperations.UnsafeWrap(model.Xxh3128),
            ChunkBytes = chunkBytes,
        };
        PayloadCodec.AddManifest(header, manifest);
        Header = new ModelChunk { Header = header };
        Data = [.. PayloadCodec.Chunks(model.Buffer, model.ParameterCount, chunkBytes).Select(chunk => new ModelChunk { Data = chunk })];
        PayloadBytes = model.PayloadBytes;
    }

    /// <summary>The first message of the stream: sizes, checksums and the manifest.</summary>
    public ModelChunk Header { get; }

    /// <summary>The data messages, in order.</summary>
    public IReadOnlyList<ModelChunk> Data { get; }

    /// <summary>Size of the payload, in bytes.</summary>
    public long PayloadBytes { get; }

    /// <summary>Sends the stream: the header, then every data message (the fault point <c>download</c> before each).</summary>
    public async Task SendAsync(IServerStreamWriter<ModelChunk> writer, long round, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        await writer.WriteAsync(Header, cancellationToken).ConfigureAwait(false);
        foreach (var chunk in Data)
        {
            FaultInjection.Reached("download", round);
            await writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
    }
}
