using Microsoft.AspNetCore.Http;

namespace FedTrain.Rpc;

/// <summary>Per-call state handed to interceptors and handlers.</summary>
public sealed class ServerCallContext
{
    internal ServerCallContext(
        HttpContext httpContext,
        string method,
        Metadata requestHeaders,
        DateTime? deadline,
        CancellationToken cancellationToken)
    {
        HttpContext = httpContext;
        Method = method;
        RequestHeaders = requestHeaders;
        Deadline = deadline;
        CancellationToken = cancellationToken;
        Peer = FormatPeer(httpContext.Connection); // Eagerly: the HttpContext is recycled once the call ends.
    }

    /// <summary>The full method path, e.g. <c>/fedtrain.v1.Coordinator/Register</c>.</summary>
    public string Method { get; }

    /// <summary>Custom metadata sent by the client (protocol headers such as <c>te</c> and <c>grpc-timeout</c> left out).</summary>
    public Metadata RequestHeaders { get; }

    /// <summary>When the client's deadline (<c>grpc-timeout</c>) expires, in UTC; null when the client set none.</summary>
    public DateTime? Deadline { get; }

    /// <summary>Fires when the deadline passes, the client cancels or disconnects, or the server shuts down.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Metadata sent with the final status, whether the call succeeds or fails.</summary>
    public Metadata ResponseTrailers { get; } = new();

    /// <summary>The client address in gRPC form, e.g. <c>ipv4:127.0.0.1:50412</c> or <c>ipv6:[::1]:50412</c>.</summary>
    public string Peer { get; }

    /// <summary>The underlying ASP.NET Core request (client certificate, connection details); valid only during the call.</summary>
    public HttpContext HttpContext { get; }

    private static string FormatPeer(ConnectionInfo connection) => connection.RemoteIpAddress switch
    {
        null => "unknown",
        { IsIPv4MappedToIPv6: true } ip => $"ipv4:{ip.MapToIPv4()}:{connection.RemotePort}", // dual-stack listener
        { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ip => $"ipv6:[{ip}]:{connection.RemotePort}",
        var ip => $"ipv4:{ip}:{connection.RemotePort}",
    };
}
