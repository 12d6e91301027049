using Google.Protobuf;

namespace FedTrain.Rpc;

internal sealed class ServerStreamWriter<T>(ServerCall call) : IServerStreamWriter<T>
    where T : class, IMessage<T>
{
    public Task WriteAsync(T message, CancellationToken cancellationToken = default) =>
        call.WriteStreamedMessageAsync(message, cancellationToken);
}
