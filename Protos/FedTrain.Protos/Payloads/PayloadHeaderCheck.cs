using FedTrain.Core.Compression;
using FedTrain.Protos.V1;

namespace FedTrain.Protos.Payloads;

/// <summary>
/// The checks every receiver of a chunked payload makes against its header: before the first chunk, on each chunk's
/// length, and once the stream ends.
/// </summary>
internal static class PayloadHeaderCheck
{
    /// <summary>Checks the header's sizes against its encoding and the size the receiver expects.</summary>
    public static void Validate(PayloadHeader header, long expectedBytes)
    {
        var encoding = PayloadEncodings.ToCore(header.Encoding);
        if (header.ParameterCount < 0 || header.TotalBytes != expectedBytes
            || !EncodedLayout.IsPossibleSize(encoding, header.ParameterCount, header.TotalBytes))
        {
            throw new PayloadException(
                PayloadError.BadHeader,
                encoding == UpdateEncoding.Float32
                    ? $"Payload announces {header.TotalBytes} bytes for {header.ParameterCount} parameters; expected {expectedBytes} bytes."
                    : $"Payload announces {header.TotalBytes} bytes for {header.ParameterCount} parameters in {UpdateCompression.FormatName(encoding)} encoding; expected {expectedBytes} bytes.");
        }

        if (header.Sha256.Length == 0 && header.Xxh3128.Length == 0)
        {
            throw new PayloadException(PayloadError.BadHeader, "The payload header carries no checksum: it needs sha256 or xxh3_128.");
        }

        if (header.Sha256.Length is not (0 or 32))
        {
            throw new PayloadException(PayloadError.BadHeader, $"SHA-256 must be 32 bytes, got {header.Sha256.Length}.");
        }

        if (header.Xxh3128.Length is not (0 or 16))
        {
            throw new PayloadException(PayloadError.BadHeader, $"XXH3-128 must be 16 bytes, got {header.Xxh3128.Length}.");
        }
    }

    /// <summary>Refuses a chunk that would carry the payload past its announced size.</summary>
    public static void RequireRoom(PayloadHeader header, long received, long chunkLength)
    {
        if (chunkLength > header.TotalBytes - received)
        {
            throw new PayloadException(
                PayloadError.TooLarge,
                $"Payload exceeds its announced {header.TotalBytes} bytes (a chunk of {chunkLength} after {received}).");
        }
    }

    /// <summary>Checks that all bytes arrived and that their checksum (<paramref name="integrity"/>) matches the header's.</summary>
    public static void RequireComplete(PayloadHeader header, long received, PayloadIntegrity integrity)
    {
        if (received != header.TotalBytes)
        {
            throw new PayloadException(PayloadError.Truncated, $"Payload ended after {received} of {header.TotalBytes} bytes.");
        }

        integrity.Verify(header);
    }
}
