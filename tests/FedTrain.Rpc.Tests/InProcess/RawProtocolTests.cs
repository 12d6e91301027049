using System.IO.Compression;
using System.Net;
using FedTrain.Rpc.Tests.Echo;
using FedTrain.Rpc.Tests.Support;
using Google.Protobuf;

namespace FedTrain.Rpc.Tests.InProcess;

/// <summary>Requests no well-behaved client sends: the server must answer each with a status and stay up.</summary>
public sealed class RawProtocolTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly HttpClient _client = RawGrpc.CreateClient();

    private Uri Address => fixture.Server.Address;

    public static TheoryData<string, byte[], StatusCode> MalformedBodies => new()
    {
        { "garbage", [0xFF, 0x13, 0x37, 0x00, 0x42, 0x99], StatusCode.Internal },
        { "truncated prefix", [0x00, 0x00, 0x00], StatusCode.Internal },
        { "truncated payload", [0x00, 0x00, 0x00, 0x00, 0x10, 0x0A, 0x02], StatusCode.Internal },
        { "length over the limit", [0x00, 0x7F, 0xFF, 0xFF, 0xFF], StatusCode.ResourceExhausted },
        { "invalid protobuf", RawGrpc.Frame([0x0A, 0xFF, 0x01]), StatusCode.Internal },
        { "invalid wire type", RawGrpc.Frame([0x0F, 0x01]), StatusCode.Internal },
        { "no message", [], StatusCode.Unimplemented },
        { "two messages", [.. RawGrpc.Frame(new EchoMessage()), .. RawGrpc.Frame(new EchoMessage())], StatusCode.Unimplemented },
        { "compressed without grpc-encoding", RawGrpc.Frame([1, 2, 3], flag: 1), StatusCode.Internal },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Malformed_unary_requests_get_a_grpc_status_and_the_server_stays_up(string name, byte[] body, StatusCode expected)
    {
        var response = await RawGrpc.SendUnaryAsync(_client, Address, body);

        Assert.True(response.HttpStatus == HttpStatusCode.OK, name);
        Assert.Equal(expected, response.Status);
        var reply = await fixture.Channel.UnaryAsync(EchoMethods.Unary, new EchoMessage { Text = "still up" });
        Assert.Equal("still up", reply.Text);
    }

    [Fact]
    public async Task Malformed_streaming_requests_fail_the_call_with_internal()
    {
        byte[] body = [.. RawGrpc.Frame(new EchoMessage { Text = "ok" }), 0x00, 0x00, 0x00, 0x00, 0x02, 0xFF, 0xFF];

        var response = await RawGrpc.SendAsync(_client, Address, EchoMethods.ClientStream.FullName, body);

        Assert.Equal(StatusCode.Internal, response.Status);
    }

    [Fact]
    public async Task Errors_before_any_message_are_trailers_only()
    {
        var body = RawGrpc.Frame(new EchoMessage { FailCode = (int)StatusCode.NotFound, FailMessage = "100% gone ✓" });

        var response = await RawGrpc.SendUnaryAsync(_client, Address, body);

        Assert.Equal("5", response.HeaderStatus);
        Assert.Null(response.TrailerStatus);
        Assert.Empty(response.Body);
        Assert.Equal("100%25 gone %E2%9C%93", response.Message);
    }

    [Fact]
    public async Task Success_puts_the_status_in_trailers()
    {
        var response = await RawGrpc.SendUnaryAsync(_client, Address, RawGrpc.Frame(new EchoMessage { Text = "x" }));

        Assert.Null(response.HeaderStatus);
        Assert.Equal("0", response.TrailerStatus);
        Assert.Equal("x", response.SingleReply!.Text);
    }

    [Fact]
    public async Task Unknown_method_is_unimplemented_trailers_only()
    {
        var response = await RawGrpc.SendAsync(_client, Address, "/fedtrain.testing.Echo/Nope", RawGrpc.Frame(new EchoMessage()));

        Assert.Equal("12", response.HeaderStatus);
        Assert.Empty(response.Body);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData("application/grpc-web")]
    public async Task A_non_grpc_content_type_is_http_415(string contentType)
    {
        var response = await RawGrpc.SendAsync(_client, Address, EchoMethods.Unary.FullName, RawGrpc.Frame(new EchoMessage()), contentType);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.HttpStatus);
    }

    [Theory]
    [InlineData("application/grpc+proto")]
    [InlineData("application/grpc; charset=utf-8")]
    public async Task Grpc_content_type_variants_are_accepted(string contentType)
    {
        var response = await RawGrpc.SendAsync(_client, Address, EchoMethods.Unary.FullName, RawGrpc.Frame(new EchoMessage { Text = "v" }), contentType);

        Assert.Equal(StatusCode.OK, response.Status);
    }

    [Fact]
    public async Task A_get_request_is_http_405()
    {
        var response = await RawGrpc.SendAsync(_client, Address, EchoMethods.Unary.FullName, [], method: HttpMethod.Get);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.HttpStatus);
    }

    [Fact]
    public async Task Http_1_1_is_http_426()
    {
        using var http1 = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var content = new ByteArrayContent(RawGrpc.Frame(new EchoMessage()));
        content.Headers.ContentType = new("application/grpc");

        using var response = await http1.PostAsync(new Uri(fixture.Server.Http1Address!, EchoMethods.Unary.FullName), content);

        Assert.Equal(HttpVersion.Version11, response.Version);
        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public async Task Compressed_requests_are_decoded(string encoding)
    {
        var payload = new EchoMessage { Text = "squeezed", Payload = ByteString.CopyFrom(new byte[10_000]) }.ToByteArray();
        using var compressed = new MemoryStream();
        using (Stream compressor = encoding == "gzip" ? new GZipStream(compressed, CompressionLevel.Fastest, true) : new ZLibStream(compressed, CompressionLevel.Fastest, true))
        {
            compressor.Write(payload);
        }

        var response = await RawGrpc.SendUnaryAsync(_client, Address, RawGrpc.Frame(compressed.ToArray(), flag: 1), [("grpc-encoding", encoding)]);

        Assert.Equal(StatusCode.OK, response.Status);
        Assert.Equal(10_000, response.SingleReply!.Payload.Length);
    }

    [Fact]
    public async Task An_unsupported_encoding_is_unimplemented()
    {
        var response = await RawGrpc.SendUnaryAsync(_client, Address, RawGrpc.Frame([1, 2, 3], flag: 1), [("grpc-encoding", "snappy")]);

        Assert.Equal(StatusCode.Unimplemented, response.Status);
    }

    [Fact]
    public async Task Padded_and_unpadded_binary_metadata_are_both_accepted()
    {
        var response = await RawGrpc.SendUnaryAsync(
            _client, Address, RawGrpc.Frame(new EchoMessage { Text = "b" }), [("x-a-bin", "AAEC+g"), ("x-b-bin", "AAEC+g==")]);

        Assert.Equal("b;x-a-bin=000102fa;x-b-bin=000102fa", response.SingleReply!.Text);
    }

    public void Dispose() => _client.Dispose();
}
