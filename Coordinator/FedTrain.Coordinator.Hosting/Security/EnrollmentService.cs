using FedTrain.Coordinator.Grpc;
using FedTrain.Protos.V1;
using Grpc.Core;

namespace FedTrain.Coordinator.Security;

/// <summary>The <c>fedtrain.v1.Enrollment</c> service: trades a one-time enrollment token for a worker credential.</summary>
public sealed class EnrollmentService
{
    private readonly WorkerAuthenticator _authenticator;
    private readonly WorkerCertificateBinding? _certificateBinding;
    private readonly Func<CancellationToken, ValueTask<string>> _currentRunId;

    /// <param name="certificateBinding">Non-null under mTLS: only the worker's own certificate may enrol it.</param>
    public EnrollmentService(WorkerAuthenticator authenticator, WorkerCertificateBinding? certificateBinding, Func<CancellationToken, ValueTask<string>> currentRunId)
    {
        _authenticator = authenticator;
        _certificateBinding = certificateBinding;
        _currentRunId = currentRunId;
    }

    internal async Task<EnrollResponse> EnrollAsync(EnrollRequest request, ServerCallContext context)
    {
        string workerId = WorkerIdentity.Require(request.WorkerId);
        // Checked before the token is redeemed, so a refused attempt does not use the token up.
        _certificateBinding?.Require(workerId, context.GetHttpContext().Connection.ClientCertificate, context.Peer);
        string authorization = context.GetHttpContext().Request.Headers.Authorization.ToString();
        var credential = await _authenticator.EnrollAsync(authorization.Length > 0 ? authorization : null, workerId, context.Peer, context.CancellationToken)
            .ConfigureAwait(false);
        return new EnrollResponse
        {
            Credential = credential.Token,
            WorkerId = workerId,
            RunId = await _currentRunId(context.CancellationToken).ConfigureAwait(false),
        };
    }
}
