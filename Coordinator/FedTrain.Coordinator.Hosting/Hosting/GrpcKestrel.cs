using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FedTrain.Coordinator.Hosting;

/// <summary>Kestrel settings suited to gRPC: long-lived streams and large model transfers.</summary>
public static class GrpcKestrel
{
    /// <summary>
    /// Raises the HTTP/2 flow-control windows, lifts the request body size limit and the minimum data rates
    /// (they would cut slow or long streams; the gRPC port sets its own per call), and drops the <c>server</c> header.
    /// Listen with <c>listenOptions.Protocols = HttpProtocols.Http2</c> for plaintext gRPC: without TLS/ALPN
    /// Kestrel cannot tell HTTP/1.1 from HTTP/2, and prior-knowledge h2c clients are refused on a mixed endpoint.
    /// </summary>
    public static void ConfigureLimits(KestrelServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddServerHeader = false;
        options.Limits.MaxRequestBodySize = null;
        options.Limits.MinRequestBodyDataRate = null;
        options.Limits.MinResponseDataRate = null;
        options.Limits.Http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
        options.Limits.Http2.InitialStreamWindowSize = 8 * 1024 * 1024;
    }
}
