using FedTrain.Protos.Transport;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// <c>grpc.health.v1.Health</c> served by Grpc.HealthCheck's <see cref="HealthServiceImpl"/>, bound with the
/// project's marshallers: the generated ones let a malformed probe (say, a service name that is not UTF-8) escape as
/// UNKNOWN, the status of a server bug, where gRPC answers a message it cannot parse INTERNAL.
/// </summary>
internal sealed class HealthEndpoint(HealthServiceImpl health)
{
    private readonly HealthServiceImpl _health = health;

    private const string ServiceName = "grpc.health.v1.Health";

    private static readonly Method<HealthCheckRequest, HealthCheckResponse> Check = new(
        MethodType.Unary, ServiceName, "Check", ProtobufMarshaller.For(HealthCheckRequest.Parser), ProtobufMarshaller.For(HealthCheckResponse.Parser));

    private static readonly Method<HealthCheckRequest, HealthCheckResponse> Watch = new(
        MethodType.ServerStreaming, ServiceName, "Watch", ProtobufMarshaller.For(HealthCheckRequest.Parser), ProtobufMarshaller.For(HealthCheckResponse.Parser));

    internal sealed class Methods : IServiceMethodProvider<HealthEndpoint>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<HealthEndpoint> context)
        {
            context.AddUnaryMethod(Check, [], (endpoint, request, call) => endpoint._health.Check(request, call));
            context.AddServerStreamingMethod(Watch, [], (endpoint, request, writer, call) => endpoint._health.Watch(request, writer, call));
        }
    }
}
