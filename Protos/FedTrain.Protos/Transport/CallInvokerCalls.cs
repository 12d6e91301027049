using System.Runtime.CompilerServices;
using Grpc.Core;

namespace FedTrain.Protos.Transport;

/// <summary>
/// The three call shapes the workers make, as plain awaitables over a <see cref="CallInvoker"/> (a
/// <c>GrpcChannel</c>'s, or an intercepted one): each call is disposed when it ends, so a cancelled or failed call
/// never leaves its HTTP/2 stream open.
/// </summary>
public static class CallInvokerCalls
{
    public static async Task<TResponse> UnaryAsync<TRequest, TResponse>(
        this CallInvoker invoker, Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class
        where TResponse : class
    {
        ArgumentNullException.ThrowIfNull(invoker);
        using var call = invoker.AsyncUnaryCall(method, null, options, request);
        return await call.ResponseAsync.ConfigureAwait(false);
    }

    public static async IAsyncEnumerable<TResponse> ServerStreamingAsync<TRequest, TResponse>(
        this CallInvoker invoker, Method<TRequest, TResponse> method, TRequest request, CallOptions options = default,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where TRequest : class
        where TResponse : class
    {
        ArgumentNullException.ThrowIfNull(invoker);
        using var call = invoker.AsyncServerStreamingCall(method, null, options, request);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, cancellationToken);
        while (await call.ResponseStream.MoveNext(linked.Token).ConfigureAwait(false))
        {
            yield return call.ResponseStream.Current;
        }
    }

    /// <summary>
    /// Sends <paramref name="requests"/> and returns the response. When the server ends the call while requests are
    /// still being written (a refused upload), the server's status is what is thrown, not the failed write.
    /// </summary>
    public static async Task<TResponse> ClientStreamingAsync<TRequest, TResponse>(
        this CallInvoker invoker, Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default)
        where TRequest : class
        where TResponse : class
    {
        ArgumentNullException.ThrowIfNull(invoker);
        ArgumentNullException.ThrowIfNull(requests);
        using var call = invoker.AsyncClientStreamingCall(method, null, options);
        await foreach (var request in requests.WithCancellation(options.CancellationToken).ConfigureAwait(false))
        {
            if (!await TryWriteAsync(call, () => call.RequestStream.WriteAsync(request, options.CancellationToken)).ConfigureAwait(false))
            {
                return await call.ResponseAsync.ConfigureAwait(false);
            }
        }

        await TryWriteAsync(call, call.RequestStream.CompleteAsync).ConfigureAwait(false);
        return await call.ResponseAsync.ConfigureAwait(false);
    }

    /// <summary>
    /// False when the write failed: the call has ended (the server answered early, e.g. refusing an upload at its
    /// header, or the call was cancelled), and its response or status says why, better than the write's own error.
    /// </summary>
    private static async Task<bool> TryWriteAsync<TRequest, TResponse>(AsyncClientStreamingCall<TRequest, TResponse> call, Func<Task> write)
    {
        try
        {
            await write().ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <inheritdoc cref="UnaryAsync{TRequest, TResponse}(CallInvoker, Method{TRequest, TResponse}, TRequest, CallOptions)"/>
    public static Task<TResponse> UnaryAsync<TRequest, TResponse>(
        this ChannelBase channel, Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class
        where TResponse : class =>
        Invoker(channel).UnaryAsync(method, request, options);

    /// <inheritdoc cref="ServerStreamingAsync{TRequest, TResponse}(CallInvoker, Method{TRequest, TResponse}, TRequest, CallOptions, CancellationToken)"/>
    public static IAsyncEnumerable<TResponse> ServerStreamingAsync<TRequest, TResponse>(
        this ChannelBase channel, Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class
        where TResponse : class =>
        Invoker(channel).ServerStreamingAsync(method, request, options);

    /// <inheritdoc cref="ClientStreamingAsync{TRequest, TResponse}(CallInvoker, Method{TRequest, TResponse}, IAsyncEnumerable{TRequest}, CallOptions)"/>
    public static Task<TResponse> ClientStreamingAsync<TRequest, TResponse>(
        this ChannelBase channel, Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default)
        where TRequest : class
        where TResponse : class =>
        Invoker(channel).ClientStreamingAsync(method, requests, options);

    private static CallInvoker Invoker(ChannelBase channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.CreateCallInvoker();
    }
}
