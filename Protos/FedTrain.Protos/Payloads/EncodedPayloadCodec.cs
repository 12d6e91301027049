using System.IO.Hashing;
using System.Security.Cryptography;
using FedTrain.Core.Compression;
using FedTrain.Core.Models;
using FedTrain.Protos.V1;
using Google.Protobuf;

namespace FedTrain.Protos.Payloads;

/// <summary>
/// Header and chunks of a compressed update: the encoded bytes (<see cref="UpdateEncoder"/>), hashed and sliced as
/// they are, so <c>total_bytes</c> and the checksum describe what travels. Chunks wrap slices of the caller's buffer
/// without copying; it must stay unchanged until the stream is sent. Float32 updates use <see cref="PayloadCodec"/>.
/// </summary>
public static class EncodedPayloadCodec
{
    /// <summary>Describes the first <paramref name="length"/> bytes of <paramref name="encoded"/>: <paramref name="parameterCount"/> values in <paramref name="encoding"/>.</summary>
    public static PayloadHeader CreateHeader(
        byte[] encoded, int length, UpdateEncoding encoding, long parameterCount, int chunkBytes, ParameterManifest? manifest = null,
        PayloadChecksum checksum = PayloadChecksum.Sha256)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, encoded.Length);
        if (!EncodedLayout.IsPossibleSize(encoding, parameterCount, length))
        {
            throw new ArgumentException($"{length} bytes are not a {UpdateCompression.FormatName(encoding)} encoding of {parameterCount} values.", nameof(length));
        }

        var header = new PayloadHeader
        {
            TotalBytes = length,
            ParameterCount = parameterCount,
            ChunkBytes = chunkBytes,
            Encoding = PayloadEncodings.ToProto(encoding),
        };
        if (checksum == PayloadChecksum.Xxh3128)
        {
            header.Xxh3128 = UnsafeByteOperations.UnsafeWrap(XxHash128.Hash(encoded.AsSpan(0, length)));
        }
        else
        {
            header.Sha256 = UnsafeByteOperations.UnsafeWrap(SHA256.HashData(encoded.AsSpan(0, length)));
        }

        if (manifest is not null)
        {
            PayloadCodec.AddManifest(header, manifest);
        }

        return header;
    }

    /// <summary>The first <paramref name="length"/> bytes as consecutive chunks of <paramref name="chunkBytes"/>, wrapping (not copying) them.</summary>
    public static IEnumerable<ByteString> Chunks(byte[] encoded, int length, int chunkBytes)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, encoded.Length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkBytes);
        return Iterate();

        IEnumerable<ByteString> Iterate()
        {
            for (int start = 0; start < length; start += chunkBytes)
            {
                yield return UnsafeByteOperations.UnsafeWrap(encoded.AsMemory(start, Math.Min(chunkBytes, length - start)));
            }
        }
    }
}
