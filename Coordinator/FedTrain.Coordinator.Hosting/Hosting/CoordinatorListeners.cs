using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FedTrain.Coordinator.Hosting;

/// <summary>
/// The coordinator's two listeners, the gRPC port and the HTTP port, and which of them a request arrived on.
/// </summary>
/// <remarks>
/// A configured port of 0 is handed to Kestrel as 0, so the system picks a free port at bind time; the ports are read
/// back from the listeners once the host has started. Picking a free port first and binding it afterwards leaves a
/// window in which another process can take it, and the start then fails with "address already in use".
/// </remarks>
public sealed class CoordinatorListeners
{
    private ListenOptions? _grpc;
    private ListenOptions? _http;

    /// <summary>The gRPC port; valid once the host has started.</summary>
    public int GrpcPort => BoundPort(_grpc);

    /// <summary>The HTTP port (status, page, metrics); valid once the host has started.</summary>
    public int HttpPort => BoundPort(_http);

    /// <summary>Whether a request arrived on the gRPC port.</summary>
    public bool IsGrpc(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Connection.LocalPort == GrpcPort;
    }

    /// <summary>Whether a request arrived on the HTTP port.</summary>
    public bool IsHttp(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Connection.LocalPort == HttpPort;
    }

    /// <summary>Adds both listeners to Kestrel on <paramref name="address"/>.</summary>
    public void Listen(
        KestrelServerOptions kestrel, IPAddress address, int grpcPort, int httpPort,
        Action<ListenOptions> configureGrpc, Action<ListenOptions> configureHttp)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        kestrel.Listen(address, grpcPort, listen =>
        {
            _grpc = listen;
            configureGrpc(listen);
        });
        kestrel.Listen(address, httpPort, listen =>
        {
            _http = listen;
            configureHttp(listen);
        });
    }

    // Kestrel replaces a listener's endpoint with the one it bound, so a port of 0 reads back as the system's choice.
    private static int BoundPort(ListenOptions? listen) =>
        (listen?.EndPoint as IPEndPoint)?.Port ?? throw new InvalidOperationException("The coordinator's listeners are not configured yet.");
}
