using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Compression;
using FedTrain.Core.Models;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// An upload header's payload description against the round's model, before a byte of the payload is kept: present,
/// of the model's parameter count, in the round's encoding, and with the model's tensor names and shapes. The same
/// checks, in the same order, on the leader's worker port and on a standby node's intake port.
/// </summary>
internal static class UploadPayloadCheck
{
    /// <returns>The payload description, checked.</returns>
    /// <exception cref="UpdateRejectedException">Why the payload cannot be this round's update.</exception>
    public static PayloadHeader Require(
        PayloadHeader? payload, long parameterCount, UpdateEncoding encoding, double topKFraction, ParameterManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (payload is null)
        {
            throw new UpdateRejectedException(RejectionKind.Malformed, "The upload header has no payload description.");
        }

        if (payload.ParameterCount != parameterCount)
        {
            var kind = payload.ParameterCount > parameterCount ? RejectionKind.TooLarge : RejectionKind.WrongShape;
            throw new UpdateRejectedException(kind, $"Update has {payload.ParameterCount} parameters; the model has {parameterCount}.");
        }

        UpdateEncodingCheck.Require(payload, encoding, topKFraction, parameterCount);
        if (PayloadCodec.ReadManifest(payload) is { } claimed && !claimed.IsCompatibleWith(manifest))
        {
            throw new UpdateRejectedException(RejectionKind.WrongShape, "Update's tensor names or shapes differ from the model's.");
        }

        return payload;
    }
}
