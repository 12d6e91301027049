using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FedTrain.Rpc;

/// <summary>Kestrel settings suited to gRPC: long-lived streams and large model transfers.</summary>
public static class GrpcKestrel
{
    /// <summary>
    /// Raises the HTTP/2 flow-control windows, lifts the request body size limit and the minimum data rates
    /// (they would cut slow or long streams), and drops the <c>server</c> header.
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

    /// <summary>
    /// Closes, before TLS or HTTP/2 is spoken, every connection to <paramref name="listen"/> beyond
    /// <paramref name="maxPerAddress"/> open ones from the same remote address: a few hosts cannot take all of the
    /// server's connections (and the buffers each one may fill). Call before <c>UseHttps</c>.
    /// </summary>
    public static void LimitConnectionsPerAddress(ListenOptions listen, int maxPerAddress)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPerAddress);
        var open = new Dictionary<IPAddress, int>();
        var gate = new Lock();
        listen.Use(next => async connection =>
        {
            if (connection.RemoteEndPoint is not IPEndPoint { Address: var remote })
            {
                await next(connection);
                return;
            }

            var address = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
            lock (gate)
            {
                int count = open.GetValueOrDefault(address);
                if (count >= maxPerAddress)
                {
                    connection.Abort(new ConnectionAbortedException($"More than {maxPerAddress} connections from {address}."));
                    return;
                }

                open[address] = count + 1;
            }

            try
            {
                await next(connection);
            }
            finally
            {
                lock (gate)
                {
                    // Entries go with their last connection, so the table holds only addresses connected now.
                    if (open[address] == 1)
                    {
                        open.Remove(address);
                    }
                    else
                    {
                        open[address]--;
                    }
                }
            }
        });
    }
}
