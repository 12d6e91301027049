using FedTrain.Rpc.Tests.Echo;
using FedTrain.Rpc.Tests.Support;

namespace FedTrain.Rpc.Tests.InProcess;

public sealed class InterceptorTests : IAsyncLifetime
{
    private TestServer? _server;

    private TestServer Server => _server!;

    public async Task InitializeAsync() =>
        _server = await TestServer.StartAsync(options => options.Interceptor = context =>
            context.RequestHeaders.GetValue("authorization") == "Bearer good-token"
                ? ValueTask.CompletedTask
                : throw new RpcException(StatusCode.Unauthenticated, "A valid bearer token is required."));

    public async Task DisposeAsync() => await Server.DisposeAsync();

    [Fact]
    public async Task A_call_without_credentials_is_refused()
    {
        using var channel = Server.CreateChannel();

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Unary, new EchoMessage()));

        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.Equal("A valid bearer token is required.", ex.Detail);
    }

    [Fact]
    public async Task A_streaming_call_without_credentials_is_refused_before_any_message()
    {
        using var channel = Server.CreateChannel();

        var ex = await Assert.ThrowsAsync<RpcException>(() => AsyncSequence.ToListAsync(
            channel.DuplexStreamingAsync(EchoMethods.Duplex, AsyncSequence.From([new EchoMessage()]))));

        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
    }

    [Fact]
    public async Task Call_credentials_let_the_call_through()
    {
        using var channel = GrpcChannel.ForAddress(Server.Address, new GrpcChannelOptions
        {
            CallCredentials = (request, _) =>
            {
                request.Headers.Authorization = new("Bearer", "good-token");
                return ValueTask.CompletedTask;
            },
        });

        var reply = await channel.UnaryAsync(EchoMethods.Unary, new EchoMessage { Text = "in" });

        Assert.Equal("in", reply.Text);
    }
}
