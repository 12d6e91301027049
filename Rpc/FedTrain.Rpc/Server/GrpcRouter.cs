using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FedTrain.Rpc;

/// <summary>
/// Dispatches gRPC calls by HTTP/2 path to typed handlers. Use as terminal middleware:
/// <c>app.Run(router.HandleAsync)</c> on an HTTP/2 endpoint (plaintext endpoints must be <c>Http2</c>-only).
/// Map every method before the server starts.
/// </summary>
public sealed class GrpcRouter
{
    private readonly ConcurrentDictionary<string, (Func<ServerCall, Task> Body, MethodType Type, CallLimits? Limits)> _handlers = new(StringComparer.Ordinal);
    private readonly GrpcServerOptions _options;
    private readonly ILogger<GrpcRouter> _logger;
    private CancellationToken? _stopping;

    public GrpcRouter(GrpcServerOptions options, ILogger<GrpcRouter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _options = options;
        _logger = logger;
    }

    public void MapUnary<TReq, TResp>(Method<TReq, TResp> method, Func<TReq, ServerCallContext, Task<TResp>> handler, CallLimits? limits = null)
        where TReq : class, IMessage<TReq>
        where TResp : class, IMessage<TResp>
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.Unary, async call =>
        {
            var request = await call.ReadSingleAsync(method.RequestParser);
            var response = await handler(request, call.Context);
            await call.WriteMessageAsync(NotNull(response, method), flush: false, call.Context.CancellationToken);
        }, limits);
    }

    public void MapServerStreaming<TReq, TResp>(
        Method<TReq, TResp> method, Func<TReq, IServerStreamWriter<TResp>, ServerCallContext, Task> handler, CallLimits? limits = null)
        where TReq : class, IMessage<TReq>
        where TResp : class, IMessage<TResp>
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.ServerStreaming, async call =>
        {
            var request = await call.ReadSingleAsync(method.RequestParser);
            await handler(request, new ServerStreamWriter<TResp>(call), call.Context);
        }, limits);
    }

    public void MapClientStreaming<TReq, TResp>(
        Method<TReq, TResp> method, Func<IAsyncEnumerable<TReq>, ServerCallContext, Task<TResp>> handler, CallLimits? limits = null)
        where TReq : class, IMessage<TReq>
        where TResp : class, IMessage<TResp>
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.ClientStreaming, async call =>
        {
            var response = await handler(call.ReadAllAsync(method.RequestParser), call.Context);
            await call.WriteMessageAsync(NotNull(response, method), flush: false, call.Context.CancellationToken);
        }, limits);
    }

    /// <summary>
    /// Maps a client-streaming method whose handler reads the request messages as raw bytes
    /// (<see cref="RequestPayloadReader"/>) and parses them itself, e.g. to write a large bytes field without copying it.
    /// A handler that finds a message unparsable should throw <see cref="RpcException"/> with INTERNAL, as typed handlers' parsing does.
    /// </summary>
    public void MapClientStreamingPayloads<TReq, TResp>(
        Method<TReq, TResp> method, Func<RequestPayloadReader, ServerCallContext, Task<TResp>> handler, CallLimits? limits = null)
        where TReq : class, IMessage<TReq>
        where TResp : class, IMessage<TResp>
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.ClientStreaming, async call =>
        {
            var response = await handler(call.TakePayloadReader(), call.Context);
            await call.WriteMessageAsync(NotNull(response, method), flush: false, call.Context.CancellationToken);
        }, limits);
    }

    public void MapDuplexStreaming<TReq, TResp>(
        Method<TReq, TResp> method, Func<IAsyncEnumerable<TReq>, IServerStreamWriter<TResp>, ServerCallContext, Task> handler, CallLimits? limits = null)
        where TReq : class, IMessage<TReq>
        where TResp : class, IMessage<TResp>
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.DuplexStreaming, async call =>
        {
            await call.SendHeadersAsync();
            await handler(call.ReadAllAsync(method.RequestParser), new ServerStreamWriter<TResp>(call), call.Context);
        }, limits);
    }

    /// <summary>Terminal middleware: answers every request it is given as a gRPC call.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var response = context.Response;
        if (!HttpProtocol.IsHttp2(request.Protocol))
        {
            response.StatusCode = StatusCodes.Status426UpgradeRequired;
            response.Headers.Upgrade = "h2";
            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = HttpMethods.Post;
            return;
        }

        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        var path = request.Path.Value ?? string.Empty;
        if (!_handlers.TryGetValue(path, out var registration))
        {
            ServerLog.MethodNotFound(_logger, path);
            ServerCall.WriteTrailersOnly(response, StatusCode.Unimplemented, $"Method not found: {path}");
            return;
        }

        var call = new ServerCall(context, path, registration.Type, registration.Limits, _options, _logger, GetStoppingToken(context));
        await using (call)
        {
            await call.RunAsync(registration.Body);
        }
    }

    private void Add<TReq, TResp>(Method<TReq, TResp> method, MethodType expected, Func<ServerCall, Task> body, CallLimits? limits)
        where TReq : class, IMessage<TReq>
        where TResp : class, IMessage<TResp>
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.Type != expected)
        {
            throw new ArgumentException($"{method.FullName} is a {method.Type} method, not {expected}.", nameof(method));
        }

        limits?.Validate(method.FullName);
        if (!_handlers.TryAdd(method.FullName, (body, expected, limits)))
        {
            throw new InvalidOperationException($"{method.FullName} is already mapped.");
        }
    }

    private static TResp NotNull<TReq, TResp>(TResp? response, Method<TReq, TResp> method)
        where TReq : class, IMessage<TReq>
        where TResp : class, IMessage<TResp> =>
        response ?? throw new InvalidOperationException($"The handler for {method.FullName} returned null.");

    // Streams such as health Watch should end when the host begins to stop, not when Kestrel gives up on them.
    private CancellationToken GetStoppingToken(HttpContext context) =>
        _stopping ??= context.RequestServices?.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
}
