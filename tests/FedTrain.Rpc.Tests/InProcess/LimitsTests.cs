using FedTrain.Rpc.Tests.Echo;
using FedTrain.Rpc.Tests.Support;
using Google.Protobuf;

namespace FedTrain.Rpc.Tests.InProcess;

public sealed class LimitsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task A_request_over_the_servers_4_MiB_limit_is_resource_exhausted()
    {
        var request = new EchoMessage { Payload = ByteString.CopyFrom(new byte[5 * MiB]) };

        var ex = await Assert.ThrowsAsync<RpcException>(() => fixture.Channel.UnaryAsync(EchoMethods.Unary, request));

        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
        Assert.Equal($"Received message larger than max ({request.CalculateSize()} vs. {4 * MiB})", ex.Detail);
    }

    [Fact]
    public async Task A_response_over_the_clients_4_MiB_limit_is_resource_exhausted()
    {
        var request = new EchoMessage { ResponseCount = 1, ResponseSize = 5 * MiB };

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            AsyncSequence.ToListAsync(fixture.Channel.ServerStreamingAsync(EchoMethods.ServerStream, request)));

        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
        Assert.StartsWith("Received message larger than max (", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_client_limit_is_configurable()
    {
        using var channel = fixture.Server.CreateChannel(new GrpcChannelOptions { MaxReceiveMessageSize = 1000 });

        var small = await channel.UnaryAsync(EchoMethods.Unary, new EchoMessage { Payload = ByteString.CopyFrom(new byte[900]) });
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoMethods.Unary, new EchoMessage { Payload = ByteString.CopyFrom(new byte[1000]) }));

        Assert.Equal(900, small.Payload.Length);
        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
    }

    [Fact]
    public async Task The_server_send_limit_fails_the_call()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxSendMessageSize = 1000);
        using var channel = server.CreateChannel();
        var request = new EchoMessage { ResponseCount = 3, ResponseSize = 2000 };

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            AsyncSequence.ToListAsync(channel.ServerStreamingAsync(EchoMethods.ServerStream, request)));

        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
        Assert.StartsWith("Sent message larger than max", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_raised_server_limit_accepts_bigger_requests()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxReceiveMessageSize = 8 * MiB);
        using var channel = server.CreateChannel();

        var reply = await channel.ClientStreamingAsync(
            EchoMethods.ClientStream, AsyncSequence.From([new EchoMessage { Payload = ByteString.CopyFrom(new byte[6 * MiB]) }]));

        Assert.Equal(6L * MiB, reply.TotalBytes);
    }
}
