using Grpc.Core;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// Which clients the caller of a Register may name: those its credential's enrolment granted. Later calls that name a
/// client are checked against the registry, which only ever holds what a Register let through.
/// </summary>
public static class ClientBinding
{
    /// <summary>
    /// The grant of the credential this call was authenticated with; null when authentication is off (any caller may
    /// then act as any worker, so only <c>max_clients_per_worker</c> bounds a registration).
    /// </summary>
    /// <exception cref="RpcException">PERMISSION_DENIED when the call has no principal, or its credential is gone from the store.</exception>
    public static async Task<ClientGrant?> GrantOfAsync(ServerCallContext context, object store)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.GetHttpContext().Items.TryGetValue(WorkerPrincipal.ItemKey, out var item) || item is not WorkerPrincipal principal)
        {
            throw WorkerAuthenticator.PermissionDenied();
        }

        if (principal.WorkerId is null)
        {
            return null;
        }

        // The gate has verified this credential already; only its id is needed to find the grant stored with it.
        string authorization = context.GetHttpContext().Request.Headers.Authorization.ToString();
        if (store is not ICredentialStore credentials
            || !SecretToken.TryParse(SecretToken.FromBearer(authorization), SecretToken.CredentialKind, out string id, out _)
            || await credentials.FindCredentialAsync(id, context.CancellationToken).ConfigureAwait(false) is not { } credential
            || credential.WorkerId != principal.WorkerId)
        {
            throw WorkerAuthenticator.PermissionDenied();
        }

        return credential.Grant;
    }
}
