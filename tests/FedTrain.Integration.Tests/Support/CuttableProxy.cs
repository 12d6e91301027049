using System.Net;
using System.Net.Sockets;

namespace FedTrain.Integration.Tests.Support;

/// <summary>
/// A TCP relay on a fixed loopback port in front of the coordinator, whose link can be cut: while cut, the port
/// refuses connections and every open connection is dropped, as when a network path goes down.
/// </summary>
internal sealed class CuttableProxy : IAsyncDisposable
{
    private readonly int _upstreamPort;
    private readonly Lock _lock = new();
    private readonly List<TcpClient> _connections = [];
    private TcpListener? _listener;
    private Task _accepting = Task.CompletedTask;

    public CuttableProxy(int port, int upstreamPort)
    {
        Port = port;
        _upstreamPort = upstreamPort;
        Restore();
    }

    public int Port { get; }

    /// <summary>Stops listening (connections are refused) and drops every open connection.</summary>
    public void Cut()
    {
        lock (_lock)
        {
            _listener?.Stop();
            _listener = null;
            foreach (var connection in _connections)
            {
                try
                {
                    // Reset rather than close politely, as a dropped link does.
                    connection.Client?.Close(timeout: 0);
                }
                catch (ObjectDisposedException)
                {
                    // Its peer already ended it.
                }

                connection.Dispose();
            }

            _connections.Clear();
        }
    }

    /// <summary>Listens on the same port again.</summary>
    public void Restore()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        lock (_lock)
        {
            _listener = listener;
        }

        _accepting = AcceptAsync(listener);
    }

    public async ValueTask DisposeAsync()
    {
        Cut();
        await _accepting.ConfigureAwait(false);
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(IPAddress.Loopback, _upstreamPort);
            }
            catch (SocketException)
            {
                inbound.Dispose();
                outbound.Dispose();
                continue;
            }

            lock (_lock)
            {
                _connections.Add(inbound);
                _connections.Add(outbound);
            }

            _ = PumpAsync(inbound, outbound);
            _ = PumpAsync(outbound, inbound);
        }
    }

    private static async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream());
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
