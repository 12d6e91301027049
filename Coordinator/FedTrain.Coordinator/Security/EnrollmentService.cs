using FedTrain.Coordinator.Grpc;
using FedTrain.Protos;
using FedTrain.Protos.V1;
using FedTrain.Rpc;

namespace FedTrain.Coordinator.Security;

/// <summary>The <c>fedtrain.v1.Enrollment</c> service: trades a one-time enrollment token for a worker credential.</summary>
public sealed class EnrollmentService
{
    private readonly WorkerAuthenticator _authenticator;
    private readonly Func<string> _currentRunId;

    public EnrollmentService(WorkerAuthenticator authenticator, Func<string> currentRunId)
    {
        _authenticator = authenticator;
        _currentRunId = currentRunId;
    }

    public void Map(GrpcRouter router)
    {
        ArgumentNullException.ThrowIfNull(router);
        router.MapUnary(EnrollmentMethods.Enroll, EnrollAsync);
    }

    internal Task<EnrollResponse> EnrollAsync(EnrollRequest request, ServerCallContext context)
    {
        string workerId = WorkerIdentity.Require(request.WorkerId);
        string authorization = context.HttpContext.Request.Headers.Authorization.ToString();
        var credential = _authenticator.Enroll(authorization.Length > 0 ? authorization : null, workerId, context.Peer);
        return Task.FromResult(new EnrollResponse { Credential = credential.Token, WorkerId = workerId, RunId = _currentRunId() });
    }
}
