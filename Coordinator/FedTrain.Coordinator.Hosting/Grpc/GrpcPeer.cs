using Microsoft.AspNetCore.Http;

namespace FedTrain.Coordinator.Grpc;

/// <summary>The client address in gRPC's form, as <c>ServerCallContext.Peer</c> gives it, for checks that run before the call does.</summary>
public static class GrpcPeer
{
    /// <returns>E.g. <c>ipv4:127.0.0.1:50412</c> or <c>ipv6:[::1]:50412</c>.</returns>
    public static string Of(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var connection = http.Connection;
        return connection.RemoteIpAddress switch
        {
            null => "unknown",
            { IsIPv4MappedToIPv6: true } ip => $"ipv4:{ip.MapToIPv4()}:{connection.RemotePort}", // dual-stack listener
            { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ip => $"ipv6:[{ip}]:{connection.RemotePort}",
            var ip => $"ipv4:{ip}:{connection.RemotePort}",
        };
    }
}
