using System.Buffers;
using System.IO.Compression;

namespace FedTrain.Rpc;

/// <summary>
/// Inflates a compressed message. We never send compressed, but peers may (a grpcio server built with
/// <c>compression=Gzip</c> compresses regardless of our accept-encoding). The inflated size is capped at the
/// receive limit so a small bomb cannot exhaust memory, and optionally its ratio to the compressed size, so that a
/// few kilobytes cannot make the receiver hold megabytes.
/// </summary>
internal static class MessageDecompressor
{
    /// <summary>Inflated size below which the ratio is not checked: small messages cost little whatever they compress to.</summary>
    public const int RatioFloor = 64 * 1024;

    public static bool IsSupported(string encoding) =>
        encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("deflate", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Returns a buffer rented from <see cref="ArrayPool{T}.Shared"/> holding <paramref name="length"/> inflated bytes;
    /// the caller returns it.
    /// </summary>
    /// <param name="encoding"><c>gzip</c> (RFC 1952) or <c>deflate</c> (zlib-wrapped, RFC 1950).</param>
    /// <param name="maxRatio">Largest inflated-to-compressed ratio once past <see cref="RatioFloor"/>; null for none.</param>
    public static byte[] Decompress(ReadOnlySequence<byte> compressed, string encoding, int maxSize, out int length, int? maxRatio = null)
    {
        long ratioLimit = maxRatio is { } ratio ? Math.Max(RatioFloor, compressed.Length * ratio) : long.MaxValue;
        var input = ArrayPool<byte>.Shared.Rent((int)compressed.Length);
        var output = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(compressed.Length * 4, 4096, Math.Max(4096, maxSize)));
        length = 0;
        try
        {
            compressed.CopyTo(input);
            using var source = new MemoryStream(input, 0, (int)compressed.Length, writable: false);
            using Stream inflater = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(source, CompressionMode.Decompress)
                : new ZLibStream(source, CompressionMode.Decompress);
            while (true)
            {
                if (length == output.Length)
                {
                    if (length > maxSize)
                    {
                        break;
                    }

                    var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)output.Length * 2, (long)maxSize + 1));
                    output.AsSpan(0, length).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(output);
                    output = grown;
                }

                // Never ask for more than one byte past the cap: that byte alone proves the message is too large.
                var room = (int)Math.Min(output.Length - length, (long)maxSize + 1 - length);
                var read = inflater.Read(output, length, room);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxSize)
                {
                    break;
                }

                if (length > ratioLimit)
                {
                    throw new RpcException(
                        StatusCode.ResourceExhausted,
                        $"Received message inflates more than {maxRatio} times its compressed size ({compressed.Length} bytes)");
                }
            }

            if (length > maxSize)
            {
                throw new RpcException(
                    StatusCode.ResourceExhausted, $"Received message after decompression larger than max (> {maxSize})");
            }

            var result = output;
            output = null!;
            return result;
        }
        catch (InvalidDataException ex)
        {
            throw new RpcException(StatusCode.Internal, $"Failed to decompress a {encoding} message.", null, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            if (output is not null)
            {
                ArrayPool<byte>.Shared.Return(output);
            }
        }
    }
}
