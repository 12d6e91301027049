using FedTrain.Protos.Wire;
using Grpc.Core;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// <c>security.limits.max_stream_bytes</c>: the most bytes one upload call may send. The message size limit bounds
/// each chunk; this bounds their number, so an endless stream of valid chunks is cut off (RESOURCE_EXHAUSTED).
/// </summary>
internal sealed class UploadStreamLimit(long maxBytes)
{
    private long _received;

    public void Add(ReceivedChunk<FedTrain.Protos.V1.UploadHeader> chunk)
    {
        // Each message also costs its 5-byte gRPC prefix; the header's size is its serialised size.
        _received += 5 + chunk.Length + (chunk.Header?.CalculateSize() ?? 0);
        if (_received > maxBytes)
        {
            throw new RpcException(new Status(
                StatusCode.ResourceExhausted, $"The upload sent more than {maxBytes} bytes, the most one call may send (security.limits.max_stream_bytes)."));
        }
    }
}
