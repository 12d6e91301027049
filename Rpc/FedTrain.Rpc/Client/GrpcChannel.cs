using System.Net;
using System.Runtime.CompilerServices;
using Google.Protobuf;

namespace FedTrain.Rpc;

/// <summary>
/// A client for one gRPC server address, over a single <see cref="HttpClient"/> (HTTP/2, several connections
/// when more than 100 calls are in flight). Thread-safe; create one per address and share it.
/// Every failure surfaces as <see cref="RpcException"/>, except an exception thrown by the caller's own request sequence.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        Address = address;
        Options = options;
        var handler = options.HttpHandler ?? CreateDefaultHandler();
        HttpClient = new HttpClient(handler, disposeHandler: options.HttpHandler is null)
        {
            // Deadlines are per call; the 100 s default would kill long streams.
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    internal Uri Address { get; }

    internal GrpcChannelOptions Options { get; }

    internal HttpClient HttpClient { get; }

    /// <param name="address">The server, e.g. <c>http://127.0.0.1:50051</c> (h2c) or <c>https://coordinator:443</c>.</param>
    /// <param name="options">Null for the defaults.</param>
    public static GrpcChannel ForAddress(Uri address, GrpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"A gRPC address must be an absolute http:// or https:// URI, not '{address}'.", nameof(address));
        }

        options ??= new GrpcChannelOptions();
        options.Validate();
        return new GrpcChannel(address, options);
    }

    public async Task<TResp> UnaryAsync<TReq, TResp>(Method<TReq, TResp> method, TReq request, CallOptions options = default)
        where TReq : class, IMessage<TReq>
        where TResp : class, IMessage<TResp>
    {
        Check(method, MethodType.Unary);
        ArgumentNullException.ThrowIfNull(request);
        var call = new ClientCall<TReq, TResp>(this, method, options, CancellationToken.None);
        await using (call)
        {
            await call.StartAsync(new FramedMessageContent(request));
            return await call.ReadSingleAsync();
        }
    }

    /// <summary>Starts the call when enumeration starts; enumerating throws <see cref="RpcException"/> on a non-OK status.</summary>
    public IAsyncEnumerable<TResp> ServerStreamingAsync<TReq, TResp>(
        Method<TReq, TResp> method, TReq request, CallOptions options = default)
        where TReq : class, IMessage<TReq>
        where TResp : class, IMessage<TResp>
    {
        Check(method, MethodType.ServerStreaming);
        ArgumentNullException.ThrowIfNull(request);
        return ReadStreamAsync(method, _ => new FramedMessageContent(request), options);
    }

    /// <summary>Sends each request as it is produced, then half-closes; returns the single response.</summary>
    public async Task<TResp> ClientStreamingAsync<TReq, TResp>(
        Method<TReq, TResp> method, IAsyncEnumerable<TReq> requests, CallOptions options = default)
        where TReq : class, IMessage<TReq>
        where TResp : class, IMessage<TResp>
    {
        Check(method, MethodType.ClientStreaming);
        ArgumentNullException.ThrowIfNull(requests);
        var call = new ClientCall<TReq, TResp>(this, method, options, CancellationToken.None);
        await using (call)
        {
            await call.StartAsync(new StreamingRequestContent<TReq>(requests, call.CancellationToken));
            return await call.ReadSingleAsync();
        }
    }

    /// <summary>
    /// Starts the call when enumeration starts; requests are sent concurrently with reading responses.
    /// Ending the enumeration early cancels the call.
    /// </summary>
    public IAsyncEnumerable<TResp> DuplexStreamingAsync<TReq, TResp>(
        Method<TReq, TResp> method, IAsyncEnumerable<TReq> requests, CallOptions options = default)
        where TReq : class, IMessage<TReq>
        where TResp : class, IMessage<TResp>
    {
        Check(method, MethodType.DuplexStreaming);
        ArgumentNullException.ThrowIfNull(requests);
        return ReadStreamAsync(method, token => new StreamingRequestContent<TReq>(requests, token), options);
    }

    public void Dispose() => HttpClient.Dispose();

    private async IAsyncEnumerable<TResp> ReadStreamAsync<TReq, TResp>(
        Method<TReq, TResp> method,
        Func<CancellationToken, HttpContent> createContent,
        CallOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where TReq : class, IMessage<TReq>
        where TResp : class, IMessage<TResp>
    {
        var call = new ClientCall<TReq, TResp>(this, method, options, cancellationToken);
        await using (call)
        {
            await call.StartAsync(createContent(call.CancellationToken));
            while (await call.ReadNextAsync() is { } message)
            {
                yield return message;
            }
        }
    }

    private static void Check<TReq, TResp>(Method<TReq, TResp> method, MethodType expected)
        where TReq : class, IMessage<TReq>
        where TResp : class, IMessage<TResp>
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.Type != expected)
        {
            throw new ArgumentException($"{method.FullName} is a {method.Type} method, not {expected}.", nameof(method));
        }
    }

    /// <summary>A handler tuned for gRPC, as the channel makes by default; callers add TLS options to it.</summary>
    public static SocketsHttpHandler CreateDefaultHandler() => new()
    {
        UseProxy = false, // http_proxy variables must not divert h2c traffic.
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        EnableMultipleHttp2Connections = true, // Kestrel allows 100 streams per connection; queueing beyond that stalls calls.
        InitialHttp2StreamWindowSize = 8 * 1024 * 1024, // Fewer WINDOW_UPDATE round trips on large downloads.
        ConnectTimeout = TimeSpan.FromSeconds(20),
        // No keepalive pings: gRPC C-core servers answer pings more often than every 5 min with GOAWAY "too_many_pings".
        KeepAlivePingDelay = Timeout.InfiniteTimeSpan,
    };
}
