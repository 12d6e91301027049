using FedTrain.Protos;
using FedTrain.Protos.V1;
using Grpc.Core;

namespace FedTrain.Coordinator.Tests;

public sealed class ProtocolTests
{
    [Fact]
    public void Method_descriptors_match_the_proto_service()
    {
        var service = Assert.Single(FederationReflection.Descriptor.Services);
        Assert.Equal(CoordinatorMethods.ServiceName, service.FullName);
        var declared = new Dictionary<string, MethodType>
        {
            [CoordinatorMethods.Register.Name] = CoordinatorMethods.Register.Type,
            [CoordinatorMethods.GetAssignment.Name] = CoordinatorMethods.GetAssignment.Type,
            [CoordinatorMethods.DownloadModel.Name] = CoordinatorMethods.DownloadModel.Type,
            [CoordinatorMethods.UploadUpdate.Name] = CoordinatorMethods.UploadUpdate.Type,
            [CoordinatorMethods.ReportMetrics.Name] = CoordinatorMethods.ReportMetrics.Type,
            [CoordinatorMethods.Heartbeat.Name] = CoordinatorMethods.Heartbeat.Type,
            [CoordinatorMethods.ReportEvaluation.Name] = CoordinatorMethods.ReportEvaluation.Type,
            [CoordinatorMethods.DownloadModule.Name] = CoordinatorMethods.DownloadModule.Type,
            [CoordinatorMethods.GetRunSpec.Name] = CoordinatorMethods.GetRunSpec.Type,
        };
        Assert.Equal(service.Methods.Select(m => m.Name).Order(), declared.Keys.Order());
        foreach (var method in service.Methods)
        {
            var expected = (method.IsClientStreaming, method.IsServerStreaming) switch
            {
                (false, false) => MethodType.Unary,
                (false, true) => MethodType.ServerStreaming,
                (true, false) => MethodType.ClientStreaming,
                _ => MethodType.DuplexStreaming,
            };
            Assert.Equal(expected, declared[method.Name]);
        }
    }
}
