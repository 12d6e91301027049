using Grpc.Core;

namespace FedTrain.Coordinator.Grpc;

/// <summary>Checks worker ids before they reach logs, maps and the database.</summary>
internal static class WorkerIdentity
{
    public const int MaxLength = 128;

    public static string Require(string workerId)
    {
        if (string.IsNullOrEmpty(workerId))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "worker_id is required."));
        }

        if (workerId.Length > MaxLength || !workerId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new RpcException(new Status(
                StatusCode.InvalidArgument,
                $"worker_id must be 1-{MaxLength} characters of letters, digits, '-', '_' or '.'."));
        }

        return workerId;
    }
}
