using FedTrain.Coordinator.Grpc;
using Grpc.Core;

namespace FedTrain.Coordinator.Security;

/// <summary>Issues one-time enrollment tokens (the operator's side of enrolment).</summary>
public static class EnrollmentIssuer
{
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromHours(24);

    /// <summary>Stores a new token for <paramref name="workerId"/> (its hash only) and returns it, to be handed to the data owner once.</summary>
    /// <param name="clients">The clients the worker may register; null grants its own id only.</param>
    public static async Task<IssuedToken> IssueAsync(
        ICredentialStore store, string workerId, TimeSpan validFor, TimeProvider time, ClientGrant? clients = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        try
        {
            WorkerIdentity.Require(workerId);
        }
        catch (RpcException ex)
        {
            throw new ArgumentException(ex.Status.Detail, nameof(workerId), ex);
        }

        if (validFor <= TimeSpan.Zero)
        {
            throw new ArgumentException("An enrollment token must be valid for a positive time.", nameof(validFor));
        }

        var issued = SecretToken.Create(SecretToken.EnrollmentKind);
        var now = time.GetUtcNow();
        await store.AddEnrollmentAsync(new EnrollmentRecord(issued.Id, workerId, issued.SecretHash, now, now + validFor, null, null, clients), cancellationToken)
            .ConfigureAwait(false);
        return issued;
    }
}
