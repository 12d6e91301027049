using FedTrain.Coordinator.Grpc;
using FedTrain.Coordinator.Security;
using FedTrain.Coordinator.Telemetry;
using FedTrain.Protos.V1;
using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Grpc.Reflection;
using Grpc.Reflection.V1Alpha;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FedTrain.Coordinator.Hosting;

/// <summary>
/// The gRPC port on Grpc.AspNetCore: the coordinator, enrolment and health services (reflection when asked for),
/// behind the checks that must run before any request message is read: the call gate (authentication, per-worker
/// limits) and the call bounds (unary durations, data rate, health Watch streams).
/// </summary>
internal static class CoordinatorGrpcEndpoints
{
    /// <summary>Largest health request: a service name of a few hundred bytes is the most a probe needs.</summary>
    internal const int MaxHealthRequestBytes = 512;

    public static void AddServices(
        IServiceCollection services, CoordinatorOptions options, CoordinatorGrpcService coordinator, ModuleDownloadService modules,
        CoordinatorSecurity security, HealthServiceImpl health, Action<Storage.RunFencedException> onFenced)
    {
        int ratio = security.MaxDecompressionRatio;
        AddBoundedGrpc(services, options, security, grpc => grpc.Interceptors.Add<StaleLeaderInterceptor>(onFenced))
            .AddServiceOptions<HealthEndpoint>(grpc =>
            {
                grpc.MaxReceiveMessageSize = MaxHealthRequestBytes;
                grpc.CompressionProviders = BoundedDecompression.Providers(MaxHealthRequestBytes, ratio);
            })
            .AddServiceOptions<EnrollmentService>(grpc =>
            {
                grpc.MaxReceiveMessageSize = CoordinatorSecurity.MaxEnrollRequestBytes;
                grpc.CompressionProviders = BoundedDecompression.Providers(CoordinatorSecurity.MaxEnrollRequestBytes, ratio);
            });
        services.AddSingleton(coordinator);
        services.AddSingleton<IServiceMethodProvider<CoordinatorGrpcService>>(new CoordinatorMethodProvider(modules));
        services.AddSingleton(provider => new HealthEndpoint(health, provider.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>()));
        services.AddSingleton<IServiceMethodProvider<HealthEndpoint>, HealthEndpoint.Methods>();
        if (security.Enrollment is { } enrollment)
        {
            services.AddSingleton(enrollment);
            services.AddSingleton<IServiceMethodProvider<EnrollmentService>, EnrollmentMethodProvider>();
        }

        if (options.GrpcReflection)
        {
            // Built from the descriptors directly: the services are bound by hand, so the package's discovery,
            // which looks for generated base classes, would find none of them.
            services.AddSingleton(new ReflectionServiceImpl(
                FederationReflection.Descriptor.Services
                    .Concat(EnrollmentReflection.Descriptor.Services)
                    .Append(Health.Descriptor)
                    .Append(ServerReflection.Descriptor)));
        }
    }

    /// <summary>
    /// Grpc.AspNetCore with the bounds every gRPC port of a node has: the largest message, decompression bounded by
    /// the same ratio, and no handler's exception text sent to the caller; <paramref name="more"/> adds a port's own.
    /// </summary>
    public static IGrpcServerBuilder AddBoundedGrpc(
        IServiceCollection services, CoordinatorOptions options, CoordinatorSecurity security, Action<GrpcServiceOptions>? more = null) =>
        services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.MaxMessageBytes;
            grpc.MaxSendMessageSize = null;
            // Handler exceptions reach workers as UNKNOWN without their text; the log has it.
            grpc.EnableDetailedErrors = false;
            grpc.CompressionProviders = BoundedDecompression.Providers(options.MaxMessageBytes, security.MaxDecompressionRatio);
            more?.Invoke(grpc);
        });

    /// <summary>
    /// Maps the services and puts the gate, the bounds and the call spans in front of them, on the gRPC port only;
    /// the HTTP port serves no gRPC and the gRPC port nothing else.
    /// </summary>
    public static void Map(WebApplication app, CoordinatorListeners listeners, CoordinatorOptions options, CoordinatorSecurity security)
    {
        UseGrpcPort(app, listeners.IsGrpc, options, security);
        app.MapGrpcService<CoordinatorGrpcService>();
        app.MapGrpcService<HealthEndpoint>();
        if (security.Enrollment is not null)
        {
            app.MapGrpcService<EnrollmentService>();
        }

        if (options.GrpcReflection)
        {
            app.MapGrpcService<ReflectionServiceImpl>();
        }
    }

    /// <summary>
    /// Routing, and on a node's gRPC port (the leader's worker port, or a standby node's intake port) the checks that
    /// run before any request message is read: the call spans, the call gate and the call bounds. gRPC endpoints answer
    /// only on that port and everything else only off it.
    /// </summary>
    public static void UseGrpcPort(WebApplication app, Func<HttpContext, bool> isGrpcPort, CoordinatorOptions options, CoordinatorSecurity security)
    {
        var gate = security.Gate;
        var bounds = security.CallBounds();
        app.UseRouting();
        app.Use((http, next) => OnlyOwnPort(http, next, isGrpcPort(http)));
        app.UseWhen(
            isGrpcPort,
            grpc => grpc
                .Use(next => GrpcServerTracing.Wrap(next, options.Privacy is null))
                .Use(next => http => gate.InvokeAsync(http, next))
                .Use(next => http => bounds.InvokeAsync(http, next)));
    }

    /// <summary>
    /// gRPC endpoints answer only on the gRPC port, the HTTP API only on the HTTP port: the operator token guards the
    /// HTTP port, so its pages must not be reachable through the gRPC port.
    /// </summary>
    private static Task OnlyOwnPort(HttpContext http, RequestDelegate next, bool onGrpcPort)
    {
        var endpoint = http.GetEndpoint();
        // Grpc.AspNetCore's catch-all endpoints for unknown methods carry no method metadata, only their name.
        bool grpcEndpoint = endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>() is not null
            || endpoint?.DisplayName?.StartsWith("gRPC - ", StringComparison.Ordinal) == true;
        if (onGrpcPort)
        {
            if (grpcEndpoint)
            {
                return next(http);
            }

            if (http.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
            {
                return TrailersOnlyStatus.WriteAsync(http, new Status(StatusCode.Unimplemented, $"Method {http.Request.Path} is not served here."));
            }

            http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return Task.CompletedTask;
        }

        if (grpcEndpoint)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return next(http);
    }
}
