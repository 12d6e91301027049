using System.Buffers;

namespace FedTrain.TestSupport;

/// <summary>
/// Builds a <see cref="ReadOnlySequence{T}"/> split at chosen points, as HTTP/2 DATA frames and pipe segments split
/// gRPC messages.
/// </summary>
public sealed class SegmentedSequence : ReadOnlySequenceSegment<byte>
{
    private SegmentedSequence(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary><paramref name="data"/> cut at each of <paramref name="cuts"/> (positions outside it are ignored).</summary>
    public static ReadOnlySequence<byte> Create(byte[] data, params int[] cuts)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(cuts);
        var bounds = cuts.Where(c => c > 0 && c < data.Length).Distinct().Order().Append(data.Length).ToArray();
        var first = new SegmentedSequence(data.AsMemory(0, bounds[0]), 0);
        var last = first;
        for (var i = 1; i < bounds.Length; i++)
        {
            var next = new SegmentedSequence(data.AsMemory(bounds[i - 1], bounds[i] - bounds[i - 1]), bounds[i - 1]);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Every segment <paramref name="size"/> bytes long.</summary>
    public static ReadOnlySequence<byte> Chunked(byte[] data, int size) =>
        Create(data ?? throw new ArgumentNullException(nameof(data)), Enumerable.Range(1, Math.Max(0, (data.Length - 1) / size)).Select(i => i * size).ToArray());
}
