using FedTrain.Protos.V1;
using FedTrain.Rpc;

namespace FedTrain.Protos;

/// <summary>Descriptors of the <c>fedtrain.v1.Enrollment</c> service, shared by the coordinator and the workers.</summary>
public static class EnrollmentMethods
{
    public const string ServiceName = "fedtrain.v1.Enrollment";

    public static Method<EnrollRequest, EnrollResponse> Enroll { get; } =
        new(MethodType.Unary, ServiceName, "Enroll", EnrollRequest.Parser, EnrollResponse.Parser);
}
