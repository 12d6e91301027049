using FedTrain.Rpc.Tests.Echo;
using FedTrain.Rpc.Tests.Support;
using Google.Protobuf;

namespace FedTrain.Rpc.Tests.InProcess;

public sealed class UnaryTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private GrpcChannel Channel => fixture.Channel;

    [Fact]
    public async Task Unary_call_round_trips_the_message_and_the_request_metadata()
    {
        var headers = new Metadata
        {
            { "x-worker-id", "worker-7" },
            { "x-trace-bin", new byte[] { 0x00, 0x01, 0x02, 0xFA } },
            { "authorization", "Bearer token" },
        };
        var request = new EchoMessage { Text = "hello", Payload = ByteString.CopyFrom(1, 2, 3), Values = { 1.5f, -2f } };

        var reply = await Channel.UnaryAsync(EchoMethods.Unary, request, new CallOptions(Headers: headers));

        Assert.Equal("hello;x-trace-bin=000102fa;x-worker-id=worker-7", reply.Text);
        Assert.Equal(request.Payload, reply.Payload);
        Assert.Equal(request.Values, reply.Values);
    }

    [Theory]
    [InlineData("naïve ✓ 100% done\nline 2\ttab")]
    [InlineData("%41 is not an escape here")]
    [InlineData("")]
    [InlineData("plain")]
    public async Task Error_status_message_and_trailers_round_trip(string message)
    {
        var request = new EchoMessage { FailCode = (int)StatusCode.NotFound, FailMessage = message };

        var ex = await Assert.ThrowsAsync<RpcException>(() => Channel.UnaryAsync(EchoMethods.Unary, request));

        Assert.Equal(StatusCode.NotFound, ex.Status);
        Assert.Equal(message, ex.Detail);
        Assert.Equal("detail-text", ex.Trailers.GetValue("x-error-detail"));
        Assert.Equal(EchoService.ErrorBinTrailer, ex.Trailers.GetBytes("x-error-bin"));
    }

    [Fact]
    public async Task A_handler_exception_becomes_unknown_without_leaking_its_message()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.UnaryAsync(EchoMethods.Unary, new EchoMessage { Text = "throw" }));

        Assert.Equal(StatusCode.Unknown, ex.Status);
        Assert.DoesNotContain("secret", ex.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(EchoMethods.Service, "Missing")]
    [InlineData("fedtrain.testing.NoSuchService", "Unary")]
    [InlineData("fedtrain.testing.echo", "Unary")] // paths are case-sensitive
    public async Task Unknown_method_is_unimplemented(string service, string name)
    {
        var method = new Method<EchoMessage, EchoMessage>(MethodType.Unary, service, name, EchoMessage.Parser, EchoMessage.Parser);

        var ex = await Assert.ThrowsAsync<RpcException>(() => Channel.UnaryAsync(method, new EchoMessage()));

        Assert.Equal(StatusCode.Unimplemented, ex.Status);
    }

    [Fact]
    public async Task Many_concurrent_calls_succeed()
    {
        // More than Kestrel's 100 streams per connection: the channel opens further connections.
        var calls = Enumerable.Range(0, 250)
            .Select(i => Channel.UnaryAsync(EchoMethods.Unary, new EchoMessage { Text = $"c{i}", DelayMs = 50 }));

        var replies = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 250).Select(i => $"c{i}"), replies.Select(r => r.Text));
    }

    [Fact]
    public async Task Call_credentials_hook_adds_headers_to_every_call()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Server.Address, new GrpcChannelOptions
        {
            CallCredentials = (request, _) =>
            {
                request.Headers.TryAddWithoutValidation("x-token", "abc");
                return ValueTask.CompletedTask;
            },
        });

        var reply = await channel.UnaryAsync(EchoMethods.Unary, new EchoMessage { Text = "t" });

        Assert.Equal("t;x-token=abc", reply.Text);
    }

    [Fact]
    public async Task A_failing_call_credentials_hook_is_unavailable()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Server.Address, new GrpcChannelOptions
        {
            CallCredentials = (_, _) => throw new InvalidOperationException("token service down"),
        });

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Unary, new EchoMessage()));

        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.Contains("token service down", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calling_with_the_wrong_method_shape_is_an_argument_error()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Channel.UnaryAsync(EchoMethods.ServerStream, new EchoMessage()));
    }
}
