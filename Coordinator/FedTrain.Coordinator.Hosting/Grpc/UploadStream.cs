using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Faults;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.Protos.Wire;
using Grpc.Core;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// An UploadUpdate stream as every node reads it: a header chunk first, then data chunks, each parsed in place from the
/// transport's buffers with only its data copied, once, into a pooled buffer (ReceivedChunk), and counted against the
/// call's byte limit (<c>max_stream_bytes</c>).
/// </summary>
internal static class UploadStream
{
    /// <exception cref="UpdateRejectedException">The stream does not start with a header.</exception>
    public static async Task<UploadHeader> ReadHeaderAsync(
        IAsyncStreamReader<ReceivedChunk<UploadHeader>> chunks, UploadStreamLimit limit, CancellationToken cancellationToken)
    {
        if (!await chunks.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            throw new UpdateRejectedException(RejectionKind.Malformed, "An upload must start with a header chunk.");
        }

        using var first = chunks.Current;
        limit.Add(first);
        return first is { Content: ChunkContent.Header, Header: { } header }
            ? header
            : throw new UpdateRejectedException(RejectionKind.Malformed, "An upload must start with a header chunk.");
    }

    /// <summary>
    /// Writes the data chunks that follow the header into <paramref name="writer"/> (which checks each one) and
    /// completes it: the payload is then whole and verified.
    /// </summary>
    public static async Task ReceiveAsync(
        IAsyncStreamReader<ReceivedChunk<UploadHeader>> chunks, UploadStreamLimit limit, PayloadFileWriter writer, long round, CancellationToken cancellationToken)
    {
        while (await chunks.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            using var chunk = chunks.Current;
            limit.Add(chunk);
            if (chunk.Content != ChunkContent.Data)
            {
                throw new UpdateRejectedException(RejectionKind.Malformed, "Only the first chunk of an upload may be a header.");
            }

            writer.Append(chunk.Data);
            FaultInjection.Reached("upload", round);
        }

        writer.Complete();
    }
}
