using System.Net;
using System.Net.Http.Headers;
using FedTrain.Integration.Tests.Security;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace FedTrain.Integration.Tests.Transport;

/// <summary>
/// The two ports of a real coordinator serve only their own traffic: the HTTP API (guarded by the operator token) is
/// not reachable through the gRPC port, and gRPC is not served on the HTTP port.
/// </summary>
public sealed class PortIsolationTests
{
    [Fact]
    public async Task The_gRPC_port_does_not_serve_the_HTTP_API_even_with_the_operator_token()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("port-grpc");
        string token = await OperatorTokenAsync(coordinator);
        using var client = RawGrpc.CreateClient();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        using var overGrpcPort = await GetStatusAsync(client, new Uri(coordinator.Address, "/api/status"), token);
        using var overHttpPort = await GetStatusAsync(http, new Uri($"http://127.0.0.1:{coordinator.Host.HttpPort}/api/status"), token);

        Assert.Equal(HttpVersion.Version20, overGrpcPort.Version);
        Assert.NotEqual(HttpStatusCode.OK, overGrpcPort.StatusCode);
        Assert.NotEqual("application/json", overGrpcPort.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await overGrpcPort.Content.ReadAsByteArrayAsync());
        // The same request on the HTTP port is answered.
        Assert.Equal(HttpStatusCode.OK, overHttpPort.StatusCode);
        Assert.Equal("application/json", overHttpPort.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_HTTP_port_does_not_serve_gRPC()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("port-http");
        var httpPort = new Uri($"http://127.0.0.1:{coordinator.Host.HttpPort}");

        // A gRPC client cannot call over it (the port speaks HTTP/1.1 only).
        using var channel = GrpcChannel.ForAddress(httpPort);
        var error = await Assert.ThrowsAsync<RpcException>(() => new Health.HealthClient(channel).CheckAsync(
            new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10)).ResponseAsync);
        Assert.NotEqual(StatusCode.OK, error.StatusCode);

        // And a gRPC request over HTTP/1.1, with the operator token that admits it to the port, finds no gRPC endpoint.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(httpPort, "/grpc.health.v1.Health/Check"))
        {
            Content = new ByteArrayContent(RawGrpc.Frame(new HealthCheckRequest())),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await OperatorTokenAsync(coordinator));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("grpc-status"));
    }

    private static async Task<string> OperatorTokenAsync(SecureCoordinator coordinator) =>
        (await File.ReadAllTextAsync(coordinator.Host.OperatorTokenPath!)).Trim();

    private static async Task<HttpResponseMessage> GetStatusAsync(HttpClient client, Uri address, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, address) { Version = client.DefaultRequestVersion, VersionPolicy = client.DefaultVersionPolicy };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }
}
