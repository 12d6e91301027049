namespace FedTrain.Rpc;

/// <summary>Sends response messages of a streaming call; each message is flushed to the client before the task completes.</summary>
public interface IServerStreamWriter<in T>
{
    /// <summary>Writes one message. Do not call concurrently; await each write before the next.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED when the message exceeds the send limit.</exception>
    /// <exception cref="InvalidOperationException">The call has already completed (e.g. its deadline passed).</exception>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}
