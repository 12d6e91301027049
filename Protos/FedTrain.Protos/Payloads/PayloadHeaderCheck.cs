using FedTrain.Protos.V1;

namespace FedTrain.Protos.Payloads;

/// <summary>The checks every receiver of a chunked float32 payload makes on its header before the first chunk.</summary>
internal static class PayloadHeaderCheck
{
    public static void Validate(PayloadHeader header, long expectedBytes)
    {
        if (header.TotalBytes != expectedBytes || header.ParameterCount * sizeof(float) != header.TotalBytes)
        {
            throw new PayloadException(
                PayloadError.BadHeader,
                $"Payload announces {header.TotalBytes} bytes for {header.ParameterCount} parameters; expected {expectedBytes} bytes.");
        }

        if (header.Sha256.Length != 32)
        {
            throw new PayloadException(PayloadError.BadHeader, $"SHA-256 must be 32 bytes, got {header.Sha256.Length}.");
        }
    }
}
