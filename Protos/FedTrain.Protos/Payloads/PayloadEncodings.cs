using FedTrain.Core.Compression;
using FedTrain.Protos.V1;

namespace FedTrain.Protos.Payloads;

/// <summary>Maps the wire's <see cref="PayloadEncoding"/> onto the core's <see cref="UpdateEncoding"/> and back.</summary>
public static class PayloadEncodings
{
    /// <exception cref="PayloadException">An encoding this build does not know (a newer peer's).</exception>
    public static UpdateEncoding ToCore(PayloadEncoding encoding) => encoding switch
    {
        PayloadEncoding.Float32 => UpdateEncoding.Float32,
        PayloadEncoding.Float16 => UpdateEncoding.Float16,
        PayloadEncoding.Int8 => UpdateEncoding.Int8,
        PayloadEncoding.Topk => UpdateEncoding.TopK,
        _ => throw new PayloadException(PayloadError.BadHeader, $"Unknown payload encoding {(int)encoding}."),
    };

    public static PayloadEncoding ToProto(UpdateEncoding encoding) => encoding switch
    {
        UpdateEncoding.Float32 => PayloadEncoding.Float32,
        UpdateEncoding.Float16 => PayloadEncoding.Float16,
        UpdateEncoding.Int8 => PayloadEncoding.Int8,
        UpdateEncoding.TopK => PayloadEncoding.Topk,
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Unknown update encoding."),
    };
}
