using System.Net;
using System.Net.Http.Headers;
using FedTrain.Rpc.Tests.Echo;
using Google.Protobuf;

namespace FedTrain.Rpc.Tests.Support;

/// <summary>Hand-made gRPC requests over plain HttpClient, for what our own client would never send.</summary>
internal static class RawGrpc
{
    public static HttpClient CreateClient() => new(new SocketsHttpHandler { UseProxy = false });

    public static byte[] Frame(IMessage message) => Frame(message.ToByteArray());

    public static byte[] Frame(byte[] payload, byte flag = 0)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flag;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    public static async Task<RawResponse> SendAsync(
        HttpClient client,
        Uri address,
        string path,
        byte[] body,
        string contentType = "application/grpc",
        IEnumerable<(string Key, string Value)>? headers = null,
        HttpMethod? method = null)
    {
        // The client defaults only apply to requests it creates itself; a message starts at HTTP/1.1.
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, new Uri(address, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (method != HttpMethod.Get)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        foreach (var (key, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(key, value);
        }

        using var response = await client.SendAsync(request);
        var content = await response.Content.ReadAsByteArrayAsync(); // to EOF, so trailers are filled in
        return new RawResponse(
            response.StatusCode,
            Get(response.Headers, "grpc-status"),
            Get(response.TrailingHeaders, "grpc-status"),
            Get(response.Headers, "grpc-message") ?? Get(response.TrailingHeaders, "grpc-message"),
            content);
    }

    public static Task<RawResponse> SendUnaryAsync(HttpClient client, Uri address, byte[] body, IEnumerable<(string, string)>? headers = null) =>
        SendAsync(client, address, EchoMethods.Unary.FullName, body, headers: headers);

    private static string? Get(HttpHeaders headers, string key) =>
        headers.TryGetValues(key, out var values) ? values.First() : null;
}

/// <param name="HeaderStatus">grpc-status in the response headers: set only for Trailers-Only responses.</param>
/// <param name="TrailerStatus">grpc-status in the trailers.</param>
internal sealed record RawResponse(HttpStatusCode HttpStatus, string? HeaderStatus, string? TrailerStatus, string? Message, byte[] Body)
{
    public StatusCode? Status => (HeaderStatus ?? TrailerStatus) is { } s ? (StatusCode)int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null;

    public EchoMessage? SingleReply => Body.Length == 0 ? null : EchoMessage.Parser.ParseFrom(Body.AsSpan(5));
}
