using FedTrain.Coordinator.Security;
using Grpc.Core;

namespace FedTrain.Coordinator.Grpc;

/// <summary>Checks worker ids at the edge (<see cref="IdentifierRule"/>), refusing a bad one with INVALID_ARGUMENT.</summary>
internal static class WorkerIdentity
{
    public static string Require(string workerId) =>
        IdentifierRule.Problem(workerId, "worker_id") is { } problem
            ? throw new RpcException(new Status(StatusCode.InvalidArgument, problem))
            : workerId;
}
