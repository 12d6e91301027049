using System.Net;

namespace FedTrain.Protos.Transport;

/// <summary>The HTTP handler workers and tools give their <c>GrpcChannel</c>; callers add TLS options to it.</summary>
public static class GrpcHttpHandler
{
    public static SocketsHttpHandler Create() => new()
    {
        UseProxy = false, // http_proxy variables must not divert h2c traffic.
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        EnableMultipleHttp2Connections = true, // Kestrel allows 100 streams per connection; queueing beyond that stalls calls.
        InitialHttp2StreamWindowSize = 8 * 1024 * 1024, // Fewer WINDOW_UPDATE round trips on large downloads.
        ConnectTimeout = TimeSpan.FromSeconds(20),
        // No keepalive pings: gRPC C-core servers answer pings more often than every 5 min with GOAWAY "too_many_pings".
        KeepAlivePingDelay = Timeout.InfiniteTimeSpan,
    };
}
