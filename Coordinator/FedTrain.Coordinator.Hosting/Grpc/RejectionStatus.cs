using FedTrain.Coordinator.Rounds;
using FedTrain.Protos.Payloads;
using Grpc.Core;

namespace FedTrain.Coordinator.Grpc;

/// <summary>Maps the coordinator's refusal reasons onto gRPC status codes.</summary>
internal static class RejectionStatus
{
    public static StatusCode For(RejectionKind kind) => kind switch
    {
        RejectionKind.Duplicate => StatusCode.AlreadyExists,
        RejectionKind.WrongShape or RejectionKind.NonFinite or RejectionKind.BadExampleCount or RejectionKind.Malformed
            or RejectionKind.WrongEncoding => StatusCode.InvalidArgument,
        RejectionKind.ChecksumMismatch or RejectionKind.Truncated => StatusCode.DataLoss,
        RejectionKind.TooLarge => StatusCode.ResourceExhausted,
        _ => StatusCode.FailedPrecondition,
    };

    public static RejectionKind For(PayloadError error) => error switch
    {
        PayloadError.TooLarge => RejectionKind.TooLarge,
        PayloadError.Truncated => RejectionKind.Truncated,
        PayloadError.ChecksumMismatch => RejectionKind.ChecksumMismatch,
        PayloadError.NonFinite => RejectionKind.NonFinite,
        PayloadError.BadEncoding => RejectionKind.WrongEncoding,
        _ => RejectionKind.WrongShape,
    };

    /// <summary>
    /// Rejections that say the worker's update for this round is unusable, so the round stops waiting for it.
    /// Transport damage (checksum, truncation) is not among them: the worker may retry the upload.
    /// </summary>
    public static bool FailsParticipant(RejectionKind kind) => kind is
        RejectionKind.WrongShape or RejectionKind.NonFinite or RejectionKind.BadExampleCount
        or RejectionKind.TooLarge or RejectionKind.Malformed or RejectionKind.WrongEncoding;
}
