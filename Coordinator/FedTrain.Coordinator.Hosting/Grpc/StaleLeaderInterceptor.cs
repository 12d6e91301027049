using FedTrain.Coordinator.Storage;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// Turns a call that failed because this coordinator lost the run's lease (<see cref="RunFencedException"/>) into
/// <c>UNAVAILABLE</c>: the request was fine and another coordinator holds the run, so the worker's retry policy (with
/// its back-off, and its next address) applies, rather than the <c>UNKNOWN</c> an unhandled exception becomes.
/// </summary>
/// <param name="onFenced">Told of the refusal, so that the round loop stops as well.</param>
internal sealed class StaleLeaderInterceptor(Action<RunFencedException> onFenced) : Interceptor
{
    private static readonly Status Moved = new(StatusCode.Unavailable, "This coordinator no longer holds the run; another coordinator took it over.");

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (RunFencedException ex)
        {
            throw Refusal(ex);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        catch (RunFencedException ex)
        {
            throw Refusal(ex);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (RunFencedException ex)
        {
            throw Refusal(ex);
        }
    }

    private RpcException Refusal(RunFencedException fenced)
    {
        onFenced(fenced);
        return new RpcException(Moved, fenced.Message);
    }
}
