using FedTrain.Protos;
using Grpc.AspNetCore.Server.Model;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// Binds DownloadModel and UploadUpdate, and only them, on a node's intake port, uploads through the same marshaller
/// as the leader's (<see cref="CoordinatorMethods.ReceiveUpdate"/>): every other method of the service answers
/// UNIMPLEMENTED there.
/// </summary>
internal sealed class IntakeMethodProvider : IServiceMethodProvider<IntakeGrpcService>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<IntakeGrpcService> context)
    {
        context.AddServerStreamingMethod(
            CoordinatorMethods.DownloadModel, [], (service, request, writer, call) => service.DownloadModelAsync(request, writer, call));
        context.AddClientStreamingMethod(CoordinatorMethods.ReceiveUpdate, [], (service, chunks, call) => service.UploadUpdateAsync(chunks, call));
    }
}
