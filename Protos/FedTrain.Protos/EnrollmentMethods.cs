using FedTrain.Protos.Transport;
using FedTrain.Protos.V1;
using Grpc.Core;

namespace FedTrain.Protos;

/// <summary>Descriptors of the <c>fedtrain.v1.Enrollment</c> service, shared by the coordinator and the workers.</summary>
public static class EnrollmentMethods
{
    public const string ServiceName = "fedtrain.v1.Enrollment";

    public static Method<EnrollRequest, EnrollResponse> Enroll { get; } = new(
        MethodType.Unary, ServiceName, "Enroll", ProtobufMarshaller.For(EnrollRequest.Parser), ProtobufMarshaller.For(EnrollResponse.Parser));
}
