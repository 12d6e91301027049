using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Compression;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// Refuses an upload whose header is not in the round's encoding, or whose size does not match that encoding, before
/// a byte of it is stored: the reason names both encodings, so the operator sees a worker that ignores
/// <c>--update-compression</c> (an older build sends float32) or miscounts its bytes.
/// </summary>
internal static class UpdateEncodingCheck
{
    /// <param name="payload">The upload's payload description.</param>
    /// <param name="roundEncoding">The round's encoding.</param>
    /// <param name="topKFraction">With top-k, the fraction of values each block keeps.</param>
    /// <param name="parameterCount">The model's parameters.</param>
    public static void Require(PayloadHeader payload, UpdateEncoding roundEncoding, double topKFraction, long parameterCount)
    {
        UpdateEncoding encoding;
        try
        {
            encoding = PayloadEncodings.ToCore(payload.Encoding);
        }
        catch (PayloadException ex)
        {
            throw new UpdateRejectedException(RejectionKind.WrongEncoding, $"{ex.Message} This round takes {UpdateCompression.FormatName(roundEncoding)} updates.");
        }

        if (encoding != roundEncoding)
        {
            throw new UpdateRejectedException(
                RejectionKind.WrongEncoding,
                $"Update is encoded {UpdateCompression.FormatName(encoding)}; this run takes {UpdateCompression.FormatName(roundEncoding)} updates (coordinator option --update-compression {UpdateCompression.Describe(roundEncoding, topKFraction)}).");
        }

        // A float32 size mismatch is left to the payload writer, which refuses it as it always has (wrong shape). The
        // parameter count was checked against the model before this.
        if (encoding == UpdateEncoding.Float32)
        {
            return;
        }

        long expected = EncodedLayout.EncodedBytesOfChoice(encoding, parameterCount, topKFraction);
        if (payload.TotalBytes != expected)
        {
            string kept = encoding == UpdateEncoding.TopK
                ? $" keeping {EncodedLayout.TopKKeptPerBlock(parameterCount, topKFraction)} values per block of {EncodedLayout.TopKBlockSize}"
                : string.Empty;
            throw new UpdateRejectedException(
                RejectionKind.WrongEncoding,
                $"Update announces {payload.TotalBytes} bytes; {payload.ParameterCount} parameters in {UpdateCompression.FormatName(encoding)} encoding{kept} take {expected}.");
        }
    }
}
