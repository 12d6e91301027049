using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FedTrain.Rpc.Tests.Support;

/// <summary>Kestrel on 127.0.0.1, an ephemeral port, HTTP/2 only, serving the echo and health services.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, Uri address, Uri? http1Address, EchoService echo, HealthService health)
    {
        _app = app;
        Address = address;
        Http1Address = http1Address;
        Echo = echo;
        Health = health;
    }

    /// <summary>The gRPC (h2c) endpoint.</summary>
    public Uri Address { get; }

    /// <summary>An HTTP/1.1 endpoint on the same router, when asked for.</summary>
    public Uri? Http1Address { get; }

    public EchoService Echo { get; }

    public HealthService Health { get; }

    public static async Task<TestServer> StartAsync(
        Action<GrpcServerOptions>? configure = null, bool withHttp1Endpoint = false, HealthServiceOptions? healthOptions = null, Action<ListenOptions>? configureListen = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        ListenOptions? http2 = null;
        ListenOptions? http1 = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            GrpcKestrel.ConfigureLimits(kestrel);
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http2; // h2c needs an HTTP/2-only endpoint
                configureListen?.Invoke(listen);
                http2 = listen;
            });
            if (withHttp1Endpoint)
            {
                kestrel.Listen(IPAddress.Loopback, 0, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    http1 = listen;
                });
            }
        });
        var app = builder.Build();
        var options = new GrpcServerOptions();
        configure?.Invoke(options);
        var router = new GrpcRouter(options, app.Services.GetRequiredService<ILogger<GrpcRouter>>());
        var echo = new EchoService();
        echo.Map(router);
        var health = new HealthService(healthOptions ?? new HealthServiceOptions());
        health.Map(router);
        app.Run(router.HandleAsync);
        await app.StartAsync();

        // Kestrel writes the bound port back into the endpoint of a port-0 listener.
        return new TestServer(app, ToUri(http2!), http1 is null ? null : ToUri(http1), echo, health);
    }

    public GrpcChannel CreateChannel(GrpcChannelOptions? options = null) => GrpcChannel.ForAddress(Address, options);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private static Uri ToUri(ListenOptions listen) => new($"http://127.0.0.1:{listen.IPEndPoint!.Port}");
}
