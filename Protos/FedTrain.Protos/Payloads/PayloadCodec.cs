using FedTrain.Core.Models;
using FedTrain.Protos.V1;
using Google.Protobuf;

namespace FedTrain.Protos.Payloads;

/// <summary>
/// Turns a flat little-endian float32 payload into a header plus data chunks for streaming. Chunks wrap slices
/// of the caller's buffer without copying, so the buffer must stay unchanged until the stream is sent. Sizes are
/// 64-bit throughout: a model may be larger than the 2 GiB a protobuf message or a byte array can hold.
/// </summary>
public static class PayloadCodec
{
    /// <summary>Default data chunk size: 1 MiB, well under the 4 MiB default gRPC message limit.</summary>
    public const int DefaultChunkBytes = 1 << 20;

    /// <summary>
    /// Describes the first <paramref name="count"/> floats of <paramref name="values"/>, with the checksum the
    /// receiver asked for (an assignment's <c>upload_checksum</c>; SHA-256 when it names none).
    /// </summary>
    public static PayloadHeader CreateHeader(
        float[] values, long count, int chunkBytes, ParameterManifest? manifest = null, PayloadChecksum checksum = PayloadChecksum.Sha256)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, values.LongLength);
        var header = new PayloadHeader
        {
            TotalBytes = count * sizeof(float),
            ParameterCount = count,
            ChunkBytes = chunkBytes,
        };
        if (checksum == PayloadChecksum.Xxh3128)
        {
            header.Xxh3128 = UnsafeByteOperations.UnsafeWrap(ParameterDigest.Xxh3128(values, count));
        }
        else
        {
            header.Sha256 = UnsafeByteOperations.UnsafeWrap(Sha256(values, count));
        }

        if (manifest is not null)
        {
            AddManifest(header, manifest);
        }

        return header;
    }

    /// <summary>Describes every tensor of <paramref name="manifest"/> in the header, so the receiver can check shapes.</summary>
    public static void AddManifest(PayloadHeader header, ParameterManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(manifest);
        foreach (var tensor in manifest.Tensors)
        {
            var shape = new TensorShape { Name = tensor.Name };
            shape.Shape.AddRange(tensor.Shape);
            header.Manifest.Add(shape);
        }
    }

    /// <summary>SHA-256 of the first <paramref name="count"/> floats as little-endian bytes.</summary>
    public static byte[] Sha256(float[] values, long count) => ParameterDigest.Sha256(values, count);

    /// <summary>The first <paramref name="count"/> floats as consecutive chunks of <paramref name="chunkBytes"/>, wrapping (not copying) them.</summary>
    public static IEnumerable<ByteString> Chunks(float[] values, long count, int chunkBytes)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkBytes);
        if (chunkBytes % sizeof(float) != 0)
        {
            throw new ArgumentException($"Chunks of a float payload hold whole floats; {chunkBytes} bytes is not a multiple of 4.", nameof(chunkBytes));
        }

        return Iterate();

        IEnumerable<ByteString> Iterate()
        {
            int perChunk = chunkBytes / sizeof(float);
            for (long start = 0; start < count; start += perChunk)
            {
                int length = (int)Math.Min(perChunk, count - start);
                yield return UnsafeByteOperations.UnsafeWrap(new FloatByteMemory(values, (int)start, length).Memory);
            }
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
