using System.Runtime.CompilerServices;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace FedTrain.Rpc;

/// <summary>
/// The server side of one call: reads request messages, writes response messages and exactly one status.
/// A status goes out Trailers-Only when no message was written, otherwise as HTTP/2 trailers.
/// </summary>
internal sealed class ServerCall : IAsyncDisposable
{
    private readonly HttpContext _http;
    private readonly GrpcServerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly CancellationTokenSource _cts;
    private readonly TimeSpan? _timeout;
    private readonly int _maxRequestMessageSize;

    // Serializes message writes with the final status: a deadline may complete the call while a handler writes.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource _deadlineReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITimer? _deadlineTimer;
    private MessageReader? _reader;
    private RpcException? _readError;
    private bool _headersPrepared;
    private bool _messageWritten; // Kestrel's HasStarted lags behind unflushed writes, so we track this ourselves.
    private bool _completed;
    private bool _requestStreamTaken;
    private volatile bool _deadlineExceeded;

    public ServerCall(
        HttpContext http, string method, MethodType type, CallLimits? limits, GrpcServerOptions options, ILogger logger, CancellationToken stopping)
    {
        _http = http;
        _options = options;
        _logger = logger;
        _stopping = stopping;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        _maxRequestMessageSize = limits?.MaxRequestMessageSize ?? options.MaxReceiveMessageSize;

        DateTime? deadline = null;
        // The server's own bound applies whatever the client asks: a caller that sends no grpc-timeout (or a huge
        // one) cannot hold a unary call open for ever.
        var serverBound = limits?.MaxDuration ?? (type == MethodType.Unary ? options.MaxUnaryCallDuration : null);
        if (serverBound is { } bound)
        {
            _timeout = bound;
        }

        var timeoutHeader = http.Request.Headers[GrpcProtocol.TimeoutHeader].ToString();
        if (timeoutHeader.Length > 0)
        {
            if (!GrpcTimeout.TryParse(timeoutHeader, out var timeout))
            {
                ServerLog.InvalidTimeout(logger, timeoutHeader, method);
            }
            else if (timeout <= GrpcTimeout.MaxTimerDelay && (_timeout is null || timeout < _timeout))
            {
                _timeout = timeout;
            }
        }

        if (_timeout is { } effective)
        {
            deadline = options.TimeProvider.GetUtcNow().UtcDateTime + effective;
        }

        Context = new ServerCallContext(http, method, MetadataHeaders.FromRequest(http.Request.Headers), deadline, _cts.Token);
    }

    public ServerCallContext Context { get; }

    /// <summary>Answers a call that never reaches a handler (unknown method) with a Trailers-Only status.</summary>
    public static void WriteTrailersOnly(HttpResponse response, StatusCode status, string detail)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.StatusHeader] = StatusMapping.Format(status);
        response.Headers[GrpcProtocol.MessageHeader] = PercentEncoding.Encode(detail);
    }

    /// <summary>Runs interceptor and handler, enforcing the deadline; never throws.</summary>
    public async Task RunAsync(Func<ServerCall, Task> body)
    {
        LiftBodyLimits();
        if (_timeout is { } timeout)
        {
            _deadlineTimer = _options.TimeProvider.CreateTimer(
                static state => ((ServerCall)state!).OnDeadline(), this, timeout, Timeout.InfiniteTimeSpan);
        }

        var work = RunBodyAsync(body);
        if (_deadlineTimer is not null && await Task.WhenAny(work, _deadlineReached.Task) != work)
        {
            // Answer now rather than when the handler notices its token; then wait so the HttpContext outlives it.
            ServerLog.DeadlineExceeded(_logger, Context.Method);
            await CompleteAsync(StatusCode.DeadlineExceeded, "Deadline Exceeded", trailers: null, completeResponse: true);
        }

        await work;
    }

    /// <summary>Reads the single request of a unary or server-streaming call, enforcing the cardinality.</summary>
    public async Task<T> ReadSingleAsync<T>(MessageParser<T> parser)
        where T : class, IMessage<T>
    {
        var token = Context.CancellationToken;
        var message = await ReadAsync(parser, token)
            ?? throw new RpcException(StatusCode.Unimplemented, "Expected one request message but the client sent none.");
        if (await ReadAsync(parser, token) is not null)
        {
            throw new RpcException(StatusCode.Unimplemented, "Expected one request message but the client sent more.");
        }

        return message;
    }

    /// <summary>The request stream of a client-streaming or duplex call; it can be enumerated once.</summary>
    public async IAsyncEnumerable<T> ReadAllAsync<T>(
        MessageParser<T> parser, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IMessage<T>
    {
        TakeRequestStream();
        using var linked = LinkWithCall(cancellationToken);
        var token = linked?.Token ?? Context.CancellationToken;
        while (await ReadAsync(parser, token) is { } message)
        {
            yield return message;
        }
    }

    /// <summary>The payload lent by the last <see cref="MoveNextPayloadAsync"/>; empty before the first.</summary>
    public System.Buffers.ReadOnlySequence<byte> CurrentPayload => _reader?.Current ?? default;

    /// <summary>The request stream as raw payloads (see <see cref="RequestPayloadReader"/>); it can be taken once.</summary>
    public RequestPayloadReader TakePayloadReader()
    {
        TakeRequestStream();
        return new RequestPayloadReader(this);
    }

    /// <summary>Lends the next request message's bytes as <see cref="CurrentPayload"/>; false at the end of the stream.</summary>
    public async ValueTask<bool> MoveNextPayloadAsync(CancellationToken cancellationToken)
    {
        using var linked = LinkWithCall(cancellationToken);
        try
        {
            return await Reader.MoveNextAsync(linked?.Token ?? Context.CancellationToken);
        }
        catch (RpcException ex)
        {
            _readError ??= ex;
            throw;
        }
    }

    /// <summary>Writes one response message; streaming writes flush so the message leaves now (and HasStarted is true).</summary>
    public async Task WriteMessageAsync(IMessage message, bool flush, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_completed)
            {
                throw new InvalidOperationException("The call has already completed; no more messages can be written.");
            }

            PrepareHeaders();
            var writer = _http.Response.BodyWriter;
            GrpcFrame.Write(writer, message, _options.MaxSendMessageSize);
            _messageWritten = true;
            if (flush)
            {
                var result = await writer.FlushAsync(cancellationToken);
                if (result.IsCanceled || result.IsCompleted)
                {
                    throw new OperationCanceledException("The response stream was closed.", cancellationToken);
                }
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Writes one message of a server stream, honouring both the caller's and the call's token.</summary>
    public async Task WriteStreamedMessageAsync(IMessage message, CancellationToken cancellationToken)
    {
        using var linked = LinkWithCall(cancellationToken);
        await WriteMessageAsync(message, flush: true, linked?.Token ?? Context.CancellationToken);
    }

    /// <summary>Sends the response headers before any message, so a duplex client sees the call start at once.</summary>
    public async Task SendHeadersAsync()
    {
        var token = Context.CancellationToken;
        await _writeLock.WaitAsync(token);
        try
        {
            if (!_completed)
            {
                PrepareHeaders();
                await _http.Response.StartAsync(token);
                await _http.Response.BodyWriter.FlushAsync(token);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        // A raw-payload handler may return while a message is still lent; the pipe must not stay mid-read.
        try
        {
            _reader?.Release();
        }
        catch (InvalidOperationException)
        {
            // Kestrel already completed the request body (the call ended on its deadline): nothing left to release.
        }

        _deadlineTimer?.Dispose();
        _cts.Dispose();
        _writeLock.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task RunBodyAsync(Func<ServerCall, Task> body)
    {
        try
        {
            if (_options.Interceptor is { } interceptor)
            {
                await interceptor(Context);
            }

            await body(this);
            if (_readError is { } readError)
            {
                // The handler swallowed a broken request stream; the client must still learn about it.
                await CompleteAsync(readError.Status, readError.Detail, readError.Trailers, completeResponse: false);
                return;
            }

            await CompleteAsync(StatusCode.OK, string.Empty, trailers: null, completeResponse: false);
        }
#pragma warning disable CA1031 // Every failure of a handler becomes a gRPC status; nothing may escape to Kestrel.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await FailAsync(ex);
        }
    }

    private async Task FailAsync(Exception ex)
    {
        if (_readError is { } readError)
        {
            ServerLog.CallFailed(_logger, Context.Method, readError.Status, readError.Detail);
            await CompleteAsync(readError.Status, readError.Detail, readError.Trailers, completeResponse: false);
        }
        else if (_deadlineExceeded)
        {
            await CompleteAsync(StatusCode.DeadlineExceeded, "Deadline Exceeded", trailers: null, completeResponse: false);
        }
        else if (_http.RequestAborted.IsCancellationRequested)
        {
            // The client reset the stream or the connection dropped: there is nobody to tell.
            ServerLog.ClientGone(_logger, Context.Method);
            _completed = true;
        }
        else if (ex is RpcException rpc)
        {
            ServerLog.CallFailed(_logger, Context.Method, rpc.Status, rpc.Detail);
            await CompleteAsync(rpc.Status, rpc.Detail, rpc.Trailers, completeResponse: false);
        }
        else if (_stopping.IsCancellationRequested && ex is OperationCanceledException)
        {
            await CompleteAsync(StatusCode.Unavailable, "The server is shutting down.", trailers: null, completeResponse: false);
        }
        else
        {
            // Exception details stay in the server log; they may describe internals the client must not see.
            ServerLog.HandlerFailed(_logger, Context.Method, ex);
            await CompleteAsync(StatusCode.Unknown, "Exception was thrown by handler.", trailers: null, completeResponse: false);
        }
    }

    private async Task CompleteAsync(StatusCode status, string detail, Metadata? trailers, bool completeResponse)
    {
        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            if (_completed || _http.RequestAborted.IsCancellationRequested)
            {
                _completed = true;
                return;
            }

            _completed = true;
            if (trailers is not null && !ReferenceEquals(trailers, Context.ResponseTrailers))
            {
                Context.ResponseTrailers.AddRange(trailers);
            }

            var response = _http.Response;
            if (!_messageWritten && !response.HasStarted)
            {
                // Trailers-Only: one HEADERS frame with END_STREAM carries the whole outcome.
                PrepareHeaders();
                WriteStatus(response.Headers.Append, status, detail, Context.ResponseTrailers);
            }
            else
            {
                WriteStatus(response.AppendTrailer, status, detail, Context.ResponseTrailers);
            }

            if (completeResponse)
            {
                await response.CompleteAsync();
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            ServerLog.ClientGone(_logger, Context.Method);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static void WriteStatus(Action<string, Microsoft.Extensions.Primitives.StringValues> add, StatusCode status, string detail, Metadata trailers)
    {
        add(GrpcProtocol.StatusHeader, StatusMapping.Format(status));
        if (detail.Length > 0)
        {
            add(GrpcProtocol.MessageHeader, PercentEncoding.Encode(detail));
        }

        foreach (var entry in trailers)
        {
            add(entry.Key, MetadataHeaders.ToWire(entry));
        }
    }

    private void PrepareHeaders()
    {
        if (_headersPrepared)
        {
            return;
        }

        _headersPrepared = true;
        var response = _http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.AcceptEncodingValue;
    }

    private MessageReader Reader => _reader ??= new MessageReader(
        _http.Request.BodyReader,
        _maxRequestMessageSize,
        _http.Request.Headers[GrpcProtocol.EncodingHeader].ToString() is { Length: > 0 } encoding ? encoding : null,
        _options.MaxReceiveStreamSize,
        _options.MaxDecompressionRatio,
        _options.MinRequestDataRate is { } rate ? new MessagePacing(_options.TimeProvider, rate, _options.RequestDataGracePeriod) : null);

    private void TakeRequestStream()
    {
        if (_requestStreamTaken)
        {
            throw new InvalidOperationException("The request stream can only be enumerated once.");
        }

        _requestStreamTaken = true;
    }

    private async ValueTask<T?> ReadAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        try
        {
            return await Reader.ReadAsync(parser, cancellationToken);
        }
        catch (RpcException ex)
        {
            _readError ??= ex;
            throw;
        }
    }

    private CancellationTokenSource? LinkWithCall(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled && cancellationToken != Context.CancellationToken
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Context.CancellationToken)
            : null;

    private void LiftBodyLimits()
    {
        // Kestrel's HTML-form defaults (30 MB body, minimum data rate) would cut long gRPC streams.
        if (_http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }

        if (_http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }
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
        catch (AggregateException)
        {
            // A handler's cancellation callback threw; the deadline still stands.
        }

        _deadlineReached.TrySetResult();
    }
}
