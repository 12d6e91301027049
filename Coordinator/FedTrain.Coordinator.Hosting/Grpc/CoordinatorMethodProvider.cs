using FedTrain.Protos;
using Grpc.AspNetCore.Server.Model;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// Binds the <c>fedtrain.v1.Coordinator</c> methods to Grpc.AspNetCore. By hand, not through a generated base class,
/// so that uploads arrive through the coordinator's own marshaller (<see cref="CoordinatorMethods.ReceiveUpdate"/>)
/// and the module download, a separate responsibility, is served by its own class under the same service.
/// </summary>
internal sealed class CoordinatorMethodProvider(ModuleDownloadService modules) : IServiceMethodProvider<CoordinatorGrpcService>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<CoordinatorGrpcService> context)
    {
        context.AddUnaryMethod(CoordinatorMethods.Register, [], (service, request, call) => service.RegisterAsync(request, call));
        context.AddUnaryMethod(CoordinatorMethods.GetAssignment, [], (service, request, call) => service.GetAssignmentAsync(request, call));
        context.AddServerStreamingMethod(
            CoordinatorMethods.DownloadModel, [], (service, request, writer, call) => service.DownloadModelAsync(request, writer, call));
        context.AddClientStreamingMethod(CoordinatorMethods.ReceiveUpdate, [], (service, chunks, call) => service.UploadUpdateAsync(chunks, call));
        context.AddUnaryMethod(CoordinatorMethods.ReportMetrics, [], (service, request, call) => service.ReportMetricsAsync(request, call));
        context.AddUnaryMethod(CoordinatorMethods.Heartbeat, [], (service, request, call) => service.HeartbeatAsync(request, call));
        context.AddUnaryMethod(CoordinatorMethods.ReportEvaluation, [], (service, request, call) => service.ReportEvaluationAsync(request, call));
        context.AddUnaryMethod(CoordinatorMethods.GetRunSpec, [], (service, request, call) => service.GetRunSpecAsync(request, call));
        context.AddServerStreamingMethod(
            CoordinatorMethods.DownloadModule, [], (_, request, writer, call) => modules.DownloadModuleAsync(request, writer, call));
    }
}
