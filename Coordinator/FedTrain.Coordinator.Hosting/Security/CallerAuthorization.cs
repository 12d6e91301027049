using Grpc.Core;

namespace FedTrain.Coordinator.Security;

/// <summary>Checks, inside a handler, that the worker id a message names is the caller's own.</summary>
public static class CallerAuthorization
{
    /// <summary>Throws PERMISSION_DENIED unless the authenticated caller is <paramref name="workerId"/> (or authentication is off).</summary>
    public static void RequireWorker(ServerCallContext context, string workerId)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Fail closed: a call that did not pass the gate has no principal.
        if (context.GetHttpContext().Items.TryGetValue(WorkerPrincipal.ItemKey, out var item) && item is WorkerPrincipal principal
            && (principal.WorkerId is null || string.Equals(principal.WorkerId, workerId, StringComparison.Ordinal)))
        {
            return;
        }

        throw WorkerAuthenticator.PermissionDenied();
    }
}
