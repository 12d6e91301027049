using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace FedTrain.Integration.Tests.Security;

/// <summary>gRPC calls made by hand over HTTP/2, so a test controls every byte of the request and sees the raw status.</summary>
internal static class RawGrpc
{
    public static HttpClient CreateClient() => CreateClient(new SocketsHttpHandler
    {
        UseProxy = false,
        EnableMultipleHttp2Connections = true,
        AutomaticDecompression = DecompressionMethods.None,
    });

    /// <summary>A client over <paramref name="handler"/> (e.g. one that speaks TLS with a client certificate).</summary>
    public static HttpClient CreateClient(HttpMessageHandler handler) => new(handler)
    {
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>A length-prefixed message.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload, byte flag = 0)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    public static byte[] Frame(IMessage message) => Frame(message.ToByteArray());

    /// <summary>Posts <paramref name="body"/> to <paramref name="path"/> and returns the gRPC status and message (headers first, then trailers).</summary>
    public static async Task<(int Status, string Message)> CallAsync(
        HttpClient client, Uri address, string path, byte[] body, string? authorization, CancellationToken cancellationToken, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, path))
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.ParseAdd("trailers");
        request.Headers.TryAddWithoutValidation("grpc-timeout", "5S");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("authorization", authorization);
        }

        foreach (var header in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: HTTP {(int)response.StatusCode} {response.Version}");
        // Trailers arrive only once the body is read to its end.
        await (await response.Content.ReadAsStreamAsync(cancellationToken)).CopyToAsync(Stream.Null, cancellationToken);
        string? status = Value(response.Headers, "grpc-status") ?? Value(response.TrailingHeaders, "grpc-status");
        string message = Value(response.Headers, "grpc-message") ?? Value(response.TrailingHeaders, "grpc-message") ?? string.Empty;
        Assert.True(status is not null, $"{path}: no grpc-status in headers or trailers");
        Assert.True(int.TryParse(status, out int code) && code is >= 0 and <= 16 && status == code.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{path}: invalid grpc-status '{status}'");
        return (code, Uri.UnescapeDataString(message));
    }

    private static string? Value(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
