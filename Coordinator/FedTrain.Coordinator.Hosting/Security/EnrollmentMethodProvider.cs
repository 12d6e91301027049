using FedTrain.Protos;
using Grpc.AspNetCore.Server.Model;

namespace FedTrain.Coordinator.Security;

/// <summary>Binds <c>fedtrain.v1.Enrollment</c> to Grpc.AspNetCore with the method descriptor the workers use.</summary>
internal sealed class EnrollmentMethodProvider : IServiceMethodProvider<EnrollmentService>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<EnrollmentService> context) =>
        context.AddUnaryMethod(EnrollmentMethods.Enroll, [], (service, request, call) => service.EnrollAsync(request, call));
}
