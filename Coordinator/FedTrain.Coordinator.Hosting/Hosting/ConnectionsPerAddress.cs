using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FedTrain.Coordinator.Hosting;

/// <summary>A cap on a listener's open connections per remote address, applied as connections arrive.</summary>
public static class ConnectionsPerAddress
{
    /// <summary>
    /// Closes, before TLS or HTTP/2 is spoken, every connection to <paramref name="listen"/> beyond
    /// <paramref name="maxPerAddress"/> open ones from the same remote address: a few hosts cannot take all of the
    /// server's connections (and the buffers each one may fill). Call before <c>UseHttps</c>.
    /// </summary>
    public static void Limit(ListenOptions listen, int maxPerAddress)
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
