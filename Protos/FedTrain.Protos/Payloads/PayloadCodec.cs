using System.Security.Cryptography;
using FedTrain.Core.Models;
using FedTrain.Protos.V1;
using Google.Protobuf;

namespace FedTrain.Protos.Payloads;

/// <summary>
/// Turns a flat little-endian float32 payload into a header plus data chunks for streaming. Chunks wrap slices
/// of the caller's buffer without copying, so the buffer must stay unchanged until the stream is sent.
/// </summary>
public static class PayloadCodec
{
    /// <summary>Default data chunk size: 1 MiB, well under the 4 MiB default gRPC message limit.</summary>
    public const int DefaultChunkBytes = 1 << 20;

    public static PayloadHeader CreateHeader(ReadOnlySpan<byte> payload, int chunkBytes, ParameterManifest? manifest = null)
    {
        if (payload.Length % sizeof(float) != 0)
        {
            throw new ArgumentException($"A float32 payload has a multiple of 4 bytes, not {payload.Length}.", nameof(payload));
        }

        var header = new PayloadHeader
        {
            TotalBytes = payload.Length,
            ParameterCount = payload.Length / sizeof(float),
            Sha256 = ByteString.CopyFrom(SHA256.HashData(payload)),
            ChunkBytes = chunkBytes,
        };
        if (manifest is not null)
        {
            foreach (var tensor in manifest.Tensors)
            {
                var shape = new TensorShape { Name = tensor.Name };
                shape.Shape.AddRange(tensor.Shape);
                header.Manifest.Add(shape);
            }
        }

        return header;
    }

    /// <summary>The payload as consecutive chunks of at most <paramref name="chunkBytes"/>, wrapping (not copying) it.</summary>
    public static IEnumerable<ByteString> Chunks(ReadOnlyMemory<byte> payload, int chunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkBytes);
        for (int offset = 0; offset < payload.Length; offset += chunkBytes)
        {
            int length = Math.Min(chunkBytes, payload.Length - offset);
            yield return UnsafeByteOperations.UnsafeWrap(payload.Slice(offset, length));
        }
    }

    /// <summary>The manifest a header carries, or null when it carries none.</summary>
    public static ParameterManifest? ReadManifest(PayloadHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (header.Manifest.Count == 0)
        {
            return null;
        }

        long offset = 0;
        var tensors = new List<TensorInfo>(header.Manifest.Count);
        foreach (var shape in header.Manifest)
        {
            var info = new TensorInfo(shape.Name, shape.Shape.ToArray(), offset);
            tensors.Add(info);
            offset += info.Length;
        }

        return new ParameterManifest(tensors);
    }
}
