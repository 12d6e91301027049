using FedTrain.Rpc.Tests.Echo;
using FedTrain.Rpc.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace FedTrain.Rpc.Tests.InProcess;

/// <summary>Broken servers: the client must still report a sensible status.</summary>
public sealed class ResponseValidationTests
{
    [Theory]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(500, StatusCode.Unknown)]
    public async Task A_non_200_response_maps_from_the_http_status(int httpStatus, StatusCode expected)
    {
        await using var server = await StubHttpServer.StartAsync(context =>
        {
            context.Response.StatusCode = httpStatus;
            return Task.CompletedTask;
        });
        using var channel = GrpcChannel.ForAddress(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Unary, new EchoMessage()));

        Assert.Equal(expected, ex.Status);
    }

    [Fact]
    public async Task A_200_response_without_grpc_status_is_unknown()
    {
        await using var server = await StubHttpServer.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(RawGrpc.Frame(new EchoMessage { Text = "x" }));
        });
        using var channel = GrpcChannel.ForAddress(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Unary, new EchoMessage()));

        Assert.Equal(StatusCode.Unknown, ex.Status);
    }

    [Fact]
    public async Task A_non_grpc_content_type_is_an_error()
    {
        await using var server = await StubHttpServer.StartAsync(context =>
        {
            context.Response.ContentType = "text/html";
            return context.Response.WriteAsync("<html>proxy error</html>");
        });
        using var channel = GrpcChannel.ForAddress(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Unary, new EchoMessage()));

        Assert.Equal(StatusCode.Internal, ex.Status);
    }

    [Fact]
    public async Task Ok_without_a_unary_response_message_is_unimplemented()
    {
        await using var server = await StubHttpServer.StartAsync(context =>
        {
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "0";
            return Task.CompletedTask;
        });
        using var channel = GrpcChannel.ForAddress(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Unary, new EchoMessage()));

        Assert.Equal(StatusCode.Unimplemented, ex.Status);
    }

    [Fact]
    public async Task Two_unary_response_messages_are_unimplemented()
    {
        await using var server = await StubHttpServer.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(RawGrpc.Frame(new EchoMessage()));
            await context.Response.Body.WriteAsync(RawGrpc.Frame(new EchoMessage()));
            context.Response.AppendTrailer("grpc-status", "0");
        });
        using var channel = GrpcChannel.ForAddress(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Unary, new EchoMessage()));

        Assert.Equal(StatusCode.Unimplemented, ex.Status);
    }

    [Fact]
    public async Task An_unparsable_response_message_is_internal()
    {
        await using var server = await StubHttpServer.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(RawGrpc.Frame([0x0A, 0xFF]));
            context.Response.AppendTrailer("grpc-status", "0");
        });
        using var channel = GrpcChannel.ForAddress(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Unary, new EchoMessage()));

        Assert.Equal(StatusCode.Internal, ex.Status);
    }
}
