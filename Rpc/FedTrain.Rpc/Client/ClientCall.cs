using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.ExceptionServices;
using Google.Protobuf;

namespace FedTrain.Rpc;

/// <summary>
/// The client side of one call: sends the request, reads response messages to the end of the stream,
/// then takes the status from Trailers-Only headers or from the trailers, and turns every failure into an
/// <see cref="RpcException"/>. Disposing it before the end resets the stream (RST_STREAM CANCEL).
/// </summary>
internal sealed class ClientCall<TReq, TResp> : IAsyncDisposable
    where TReq : class, IMessage<TReq>
    where TResp : class, IMessage<TResp>
{
    private const int ReadBufferSize = 64 * 1024;

    private static readonly TransferCodingWithQualityHeaderValue Trailers = new("trailers");

    private readonly GrpcChannel _channel;
    private readonly Method<TReq, TResp> _method;
    private readonly CallOptions _options;
    private readonly CancellationToken _enumeratorToken;
    private readonly CancellationTokenSource _cts;
    private readonly TimeSpan? _timeout;
    private readonly DateTimeOffset? _deadline;
    private ITimer? _deadlineTimer;
    private volatile bool _deadlineExceeded;
    private HttpRequestMessage? _request;
    private HttpResponseMessage? _response;
    private MessageReader? _reader;
    private StreamingRequestContent<TReq>? _streamingContent;
    private bool _trailersOnly;

    /// <param name="enumeratorToken">A second caller token, from <c>WithCancellation</c> on a streamed response.</param>
    public ClientCall(GrpcChannel channel, Method<TReq, TResp> method, CallOptions options, CancellationToken enumeratorToken)
    {
        _channel = channel;
        _method = method;
        _options = options;
        _enumeratorToken = enumeratorToken;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, enumeratorToken);
        if (options.Timeout is { } timeout && timeout != Timeout.InfiniteTimeSpan)
        {
            _timeout = timeout;
            if (timeout <= GrpcTimeout.MaxTimerDelay)
            {
                _deadline = channel.Options.TimeProvider.GetUtcNow() + timeout;
            }
        }
    }

    /// <summary>Fires on the caller's cancellation or the deadline.</summary>
    public CancellationToken CancellationToken => _cts.Token;

    /// <summary>Sends the request headers and body, and waits for the response headers.</summary>
    public async Task StartAsync(HttpContent content)
    {
        _streamingContent = content as StreamingRequestContent<TReq>;
        _request = new HttpRequestMessage(HttpMethod.Post, new Uri(_channel.Address, _method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var headers = _request.Headers;
        if (_timeout is { } timeout)
        {
            if (timeout <= TimeSpan.Zero)
            {
                _deadlineExceeded = true;
                throw new RpcException(StatusCode.DeadlineExceeded, "Deadline Exceeded");
            }

            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(timeout));
            if (_deadline is not null)
            {
                _deadlineTimer = _channel.Options.TimeProvider.CreateTimer(
                    static state => ((ClientCall<TReq, TResp>)state!).OnDeadline(), this, timeout, Timeout.InfiniteTimeSpan);
            }
        }

        headers.TE.Add(Trailers); // gRPC C-core refuses calls without it.
        headers.TryAddWithoutValidation("user-agent", GrpcProtocol.UserAgent);
        headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.AcceptEncodingValue);
        if (_options.Headers is { } metadata)
        {
            MetadataHeaders.AddToRequest(metadata, headers);
        }

        if (_channel.Options.CallCredentials is { } credentials)
        {
            await AddCredentialsAsync(credentials, _request);
        }

        try
        {
            _response = await _channel.HttpClient.SendAsync(_request, HttpCompletionOption.ResponseHeadersRead, _cts.Token);
            await ReadHeadersAsync(_response);
        }
        catch (Exception ex)
        {
            throw Translate(ex);
        }
    }

    /// <summary>The next response message, or null once the stream ended with OK.</summary>
    /// <exception cref="RpcException">The call failed; the stream has been read to its end or reset.</exception>
    public async ValueTask<TResp?> ReadNextAsync()
    {
        TResp? message;
        try
        {
            message = await _reader!.ReadAsync(_method.ResponseParser, _cts.Token);
        }
        catch (Exception ex)
        {
            throw Translate(ex);
        }

        if (message is null)
        {
            ThrowIfNotOk();
            return null;
        }

        if (_trailersOnly)
        {
            throw new RpcException(StatusCode.Internal, "A Trailers-Only response carried a message.");
        }

        return message;
    }

    /// <summary>Reads the single response of a unary or client-streaming call, then the stream to its end.</summary>
    public async Task<TResp> ReadSingleAsync()
    {
        var message = await ReadNextAsync()
            ?? throw new RpcException(StatusCode.Unimplemented, "The server returned OK without a response message.");

        // Reading to the end is what makes HttpClient expose the trailers; a second message is a protocol violation.
        if (await ReadNextAsync() is not null)
        {
            throw new RpcException(StatusCode.Unimplemented, "The server returned more than one response message.");
        }

        return message;
    }

    public async ValueTask DisposeAsync()
    {
        _deadlineTimer?.Dispose();
        if (_reader is not null)
        {
            await _reader.CompleteAsync();
        }

        _response?.Dispose();
        _request?.Dispose();
        _cts.Dispose();
    }

    private async Task AddCredentialsAsync(Func<HttpRequestMessage, CancellationToken, ValueTask> credentials, HttpRequestMessage request)
    {
        try
        {
            await credentials(request, _cts.Token);
        }
        catch (Exception ex) when (ex is not RpcException && !_cts.IsCancellationRequested)
        {
            // As in gRPC C-core: a credentials plugin that fails makes the call UNAVAILABLE.
            throw new RpcException(StatusCode.Unavailable, $"Getting metadata from call credentials failed: {ex.Message}", null, ex);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Translate(ex);
        }
    }

    private async Task ReadHeadersAsync(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var code = (int)response.StatusCode;
            throw new RpcException(StatusMapping.FromHttpStatus(code), $"Bad gRPC response. HTTP status code: {code}");
        }

        // Trailers-Only (P5): the status arrives in the headers, and the body is empty.
        _trailersOnly = response.Headers.Contains(GrpcProtocol.StatusHeader);
        if (!_trailersOnly && !GrpcProtocol.IsGrpcContentType(response.Content.Headers.ContentType?.MediaType))
        {
            throw new RpcException(
                StatusCode.Internal, $"Bad gRPC response. Invalid content-type: '{response.Content.Headers.ContentType}'");
        }

        var encoding = response.Headers.TryGetValues(GrpcProtocol.EncodingHeader, out var values) ? values.FirstOrDefault() : null;
        var stream = await response.Content.ReadAsStreamAsync(_cts.Token);
        var pipe = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, minimumReadSize: ReadBufferSize / 4));
        _reader = new MessageReader(pipe, _channel.Options.MaxReceiveMessageSize, encoding);
    }

    private void ThrowIfNotOk()
    {
        var response = _response!;
        var source = _trailersOnly ? (HttpHeaders)response.Headers : response.TrailingHeaders;
        if (!source.TryGetValues(GrpcProtocol.StatusHeader, out var statusValues))
        {
            var code = (int)response.StatusCode;
            throw new RpcException(StatusMapping.FromHttpStatus(code), "No grpc-status found on the response.");
        }

        var status = StatusMapping.ParseStatus(statusValues.FirstOrDefault());
        if (status == StatusCode.OK)
        {
            return;
        }

        var detail = source.TryGetValues(GrpcProtocol.MessageHeader, out var messageValues)
            ? PercentEncoding.Decode(messageValues.FirstOrDefault() ?? string.Empty)
            : string.Empty;
        var trailers = new Metadata();
        MetadataHeaders.AddFromResponse(trailers, source);
        throw new RpcException(status, detail, trailers);
    }

    private Exception Translate(Exception ex)
    {
        if (ex is RpcException)
        {
            return ex;
        }

        if (_streamingContent?.RequestStreamError is { } requestError)
        {
            // The caller's own request sequence failed: that is their exception, not a transport status.
            ExceptionDispatchInfo.Throw(requestError);
        }

        if (_deadlineExceeded || (_deadline is { } deadline && _channel.Options.TimeProvider.GetUtcNow() >= deadline))
        {
            return new RpcException(StatusCode.DeadlineExceeded, "Deadline Exceeded", null, ex);
        }

        if (_options.CancellationToken.IsCancellationRequested || _enumeratorToken.IsCancellationRequested)
        {
            return new RpcException(StatusCode.Cancelled, "Call canceled by the client.", null, ex);
        }

        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpProtocolException protocol)
            {
                return new RpcException(
                    StatusMapping.FromHttp2ErrorCode(protocol.ErrorCode), $"HTTP/2 error: {protocol.Message}", null, ex);
            }
        }

        return ex switch
        {
            HttpRequestException => new RpcException(StatusCode.Unavailable, $"Error starting gRPC call: {ex.Message}", null, ex),
            IOException => new RpcException(StatusCode.Unavailable, $"Error reading the response: {ex.Message}", null, ex),
            OperationCanceledException { InnerException: TimeoutException } =>
                new RpcException(StatusCode.Unavailable, $"Error starting gRPC call: {ex.Message}", null, ex), // connect timeout
            OperationCanceledException or ObjectDisposedException =>
                new RpcException(StatusCode.Cancelled, "The call was canceled (the channel may have been disposed).", null, ex),
            _ => new RpcException(StatusCode.Internal, $"Error processing the call: {ex.Message}", null, ex),
        };
    }

    private void OnDeadline()
    {
        _deadlineExceeded = true;
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The call finished as the timer fired.
        }
    }
}
