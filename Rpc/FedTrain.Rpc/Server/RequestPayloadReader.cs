using System.Buffers;

namespace FedTrain.Rpc;

/// <summary>
/// The request messages of a client-streaming call as raw protobuf bytes, for handlers that parse them by hand to
/// avoid copying large fields (an upload's data chunks go from the transport's buffers straight to a file).
/// Limits, decompression and framing errors are handled as for typed handlers.
/// </summary>
public sealed class RequestPayloadReader
{
    private readonly ServerCall _call;

    internal RequestPayloadReader(ServerCall call) => _call = call;

    /// <summary>
    /// The current message's serialized bytes, borrowed from the transport (or a pooled buffer for a compressed
    /// message): valid only until the next <see cref="MoveNextAsync"/> and never to be kept.
    /// </summary>
    public ReadOnlySequence<byte> Current => _call.CurrentPayload;

    /// <summary>Moves to the next request message; false when the client has finished sending.</summary>
    /// <exception cref="RpcException">A framing error or a limit; the call ends with its status.</exception>
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default) => _call.MoveNextPayloadAsync(cancellationToken);
}
