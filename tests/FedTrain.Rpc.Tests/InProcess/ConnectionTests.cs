using System.Net;
using System.Net.Sockets;
using FedTrain.Rpc.Tests.Echo;
using FedTrain.Rpc.Tests.Support;

namespace FedTrain.Rpc.Tests.InProcess;

public sealed class ConnectionTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Connection_refused_is_unavailable()
    {
        using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{FreePort()}"));

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Unary, new EchoMessage()));

        Assert.Equal(StatusCode.Unavailable, ex.Status);
    }

    [Fact]
    public async Task Connection_refused_on_a_stream_is_unavailable()
    {
        using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{FreePort()}"));

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            AsyncSequence.ToListAsync(channel.ServerStreamingAsync(EchoMethods.ServerStream, new EchoMessage())));

        Assert.Equal(StatusCode.Unavailable, ex.Status);
    }

    [Fact]
    public async Task A_server_shutting_down_mid_stream_answers_unavailable()
    {
        var server = await TestServer.StartAsync();
        using var channel = server.CreateChannel();
        var request = new EchoMessage { Text = "long", ResponseCount = 1, DelayMs = 30_000 };
        var reading = AsyncSequence.ToListAsync(channel.ServerStreamingAsync(EchoMethods.ServerStream, request));
        await server.Echo.WaitForServerDelayAsync("long");

        await server.DisposeAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => reading);
        Assert.Equal(StatusCode.Unavailable, ex.Status); // the handler saw the host stopping
    }

    [Fact]
    public void Only_http_addresses_are_accepted()
    {
        Assert.Throws<ArgumentException>(() => GrpcChannel.ForAddress(new Uri("ftp://host/")));
        Assert.Throws<ArgumentException>(() => GrpcChannel.ForAddress(new Uri("/relative", UriKind.Relative)));
    }
}
