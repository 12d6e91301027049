using FedTrain.Protos.Transport;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.Hosting;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// <c>grpc.health.v1.Health</c> served by Grpc.HealthCheck's <see cref="HealthServiceImpl"/>, bound with the
/// project's marshallers: the generated ones let a malformed probe (say, a service name that is not UTF-8) escape as
/// UNKNOWN, the status of a server bug, where gRPC answers a message it cannot parse INTERNAL. <c>Watch</c> streams
/// end, with NOT_SERVING, when the coordinator begins to stop: they never end on their own, and the web host would
/// otherwise wait its whole shutdown timeout (30 s) for them before stopping.
/// </summary>
internal sealed class HealthEndpoint(HealthServiceImpl health, IHostApplicationLifetime lifetime)
{
    private readonly HealthServiceImpl _health = health;
    private readonly IHostApplicationLifetime _lifetime = lifetime;

    private const string ServiceName = "grpc.health.v1.Health";

    private static readonly Method<HealthCheckRequest, HealthCheckResponse> Check = new(
        MethodType.Unary, ServiceName, "Check", ProtobufMarshaller.For(HealthCheckRequest.Parser), ProtobufMarshaller.For(HealthCheckResponse.Parser));

    private static readonly Method<HealthCheckRequest, HealthCheckResponse> Watch = new(
        MethodType.ServerStreaming, ServiceName, "Watch", ProtobufMarshaller.For(HealthCheckRequest.Parser), ProtobufMarshaller.For(HealthCheckResponse.Parser));

    private async Task WatchAsync(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> writer, ServerCallContext call)
    {
        // HealthServiceImpl ends a Watch when its call's token is cancelled: give it one the stopping host cancels too.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(call.CancellationToken, _lifetime.ApplicationStopping);
        await _health.Watch(request, writer, new StoppableCallContext(call, ended.Token)).ConfigureAwait(false);
        if (!call.CancellationToken.IsCancellationRequested && _lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await writer.WriteAsync(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.NotServing }).ConfigureAwait(false);
        }
    }

    internal sealed class Methods : IServiceMethodProvider<HealthEndpoint>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<HealthEndpoint> context)
        {
            context.AddUnaryMethod(Check, [], (endpoint, request, call) => endpoint._health.Check(request, call));
            context.AddServerStreamingMethod(Watch, [], (endpoint, request, writer, call) => endpoint.WatchAsync(request, writer, call));
        }
    }

    /// <summary>The call's context with another cancellation token; everything else is the call's own.</summary>
    private sealed class StoppableCallContext(ServerCallContext call, CancellationToken cancellationToken) : ServerCallContext
    {
        protected override string MethodCore => call.Method;

        protected override string HostCore => call.Host;

        protected override string PeerCore => call.Peer;

        protected override DateTime DeadlineCore => call.Deadline;

        protected override Metadata RequestHeadersCore => call.RequestHeaders;

        protected override CancellationToken CancellationTokenCore => cancellationToken;

        protected override Metadata ResponseTrailersCore => call.ResponseTrailers;

        protected override Status StatusCore
        {
            get => call.Status;
            set => call.Status = value;
        }

        protected override WriteOptions? WriteOptionsCore
        {
            get => call.WriteOptions;
            set => call.WriteOptions = value;
        }

        protected override AuthContext AuthContextCore => call.AuthContext;

        protected override IDictionary<object, object> UserStateCore => call.UserState;

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
            call.CreatePropagationToken(options);

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => call.WriteResponseHeadersAsync(responseHeaders);
    }
}
