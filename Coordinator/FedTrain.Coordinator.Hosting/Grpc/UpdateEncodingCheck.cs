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
    public static void Require(PayloadHeader payload, RoundState round)
    {
        var roundEncoding = round.Encoding;
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
                $"Update is encoded {UpdateCompression.FormatName(encoding)}; this run takes {UpdateCompression.FormatName(roundEncoding)} updates (coordinator option --update-compression {UpdateCompression.Describe(roundEncoding, round.TopKFraction)}).");
        }

        // A float32 size mismatch is left to the payload writer, which refuses it as it always has (wrong shape). The
        // parameter count was checked against the model before this.
        if (encoding == UpdateEncoding.Float32)
        {
            return;
        }

        long expected = round.EncodedUpdateBytes;
        if (payload.TotalBytes != expected)
        {
            string kept = encoding == UpdateEncoding.TopK ? $" keeping {round.TopKKeptPerBlock} values per block of {EncodedLayout.TopKBlockSize}" : string.Empty;
            throw new UpdateRejectedException(
                RejectionKind.WrongEncoding,
                $"Update announces {payload.TotalBytes} bytes; {payload.ParameterCount} parameters in {UpdateCompression.FormatName(encoding)} encoding{kept} take {expected}.");
        }
    }
}
