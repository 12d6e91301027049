using System.Buffers;
using System.Runtime.ExceptionServices;

namespace FedTrain.Core.Robust;

/// <summary>
/// Runs a kernel range by range over an <see cref="IUpdateSet"/>: each worker rents one buffer, reads the requested
/// updates' slices of a range into it and hands it to the kernel. Workers claim ranges in increasing order, which
/// keeps <see cref="OrderedBlockReduction"/>'s backlog to about one range per worker.
/// </summary>
internal static class RangeRunner
{
    private const int MaxAutomaticRange = 1 << 20;

    public static int ResolveRangeLength(RangeOptions options, int rowCount, long length, bool blockAligned)
    {
        if (options.RangeLength < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.RangeLength, "RangeLength must not be negative.");
        }

        long range = options.RangeLength;
        if (range == 0)
        {
            range = RangeOptions.AutomaticBufferBytes / (sizeof(float) * (long)Math.Max(rowCount, 1));
            range = Math.Clamp(range / BlockSums.BlockLength * BlockSums.BlockLength, BlockSums.BlockLength, MaxAutomaticRange);
        }

        if (blockAligned)
        {
            // Block sums restart at every range start; aligning ranges to blocks keeps the blocks where they are.
            range = (range + BlockSums.BlockLength - 1) / BlockSums.BlockLength * BlockSums.BlockLength;
        }

        if ((long)rowCount * Math.Min(range, length) > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(options), range, $"A range of {range} coordinates × {rowCount} updates does not fit one buffer; use a smaller RangeLength.");
        }

        return (int)Math.Max(1, Math.Min(range, length));
    }

    /// <summary>Runs <paramref name="body"/> over every range of [0, updates.Length).</summary>
    /// <param name="rows">Indices of the updates to read into each range buffer, in row order.</param>
    /// <param name="output">Destination of length updates.Length, sliced per range; empty when the rule writes none.</param>
    public static unsafe void Run(
        IUpdateSet updates, int[] rows, int rangeLength, RangeOptions options, Span<float> output, RangeBody body, CancellationToken cancellationToken)
    {
        long length = updates.Length;
        int rangeCount = (int)((length + rangeLength - 1) / rangeLength);
        if (rangeCount == 0)
        {
            return;
        }

        int degree = options.MaxDegreeOfParallelism > 0 ? options.MaxDegreeOfParallelism : Environment.ProcessorCount;
        int workers = Math.Max(1, Math.Min(degree, rangeCount));
        bool writes = !output.IsEmpty;
        fixed (float* outputStart = output)
        {
            // The lambda cannot capture a span; it captures the pinned address instead.
            var outputAddress = (nint)outputStart;
            int next = -1;

            void Work(Func<bool> stop)
            {
                var buffer = ArrayPool<float>.Shared.Rent(rows.Length * rangeLength);
                try
                {
                    int range;
                    while (!stop() && (range = Interlocked.Increment(ref next)) < rangeCount)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        long start = (long)range * rangeLength;
                        int count = (int)Math.Min(rangeLength, length - start);
                        for (int r = 0; r < rows.Length; r++)
                        {
                            updates.ReadRange(rows[r], start, buffer.AsSpan(r * count, count));
                        }

                        var slice = writes ? new Span<float>((float*)outputAddress + start, count) : default;
                        body(range, start, count, buffer, slice);
                    }
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(buffer);
                }
            }

            if (workers == 1)
            {
                Work(() => false);
                return;
            }

            try
            {
                Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, (_, state) => Work(() => state.ShouldExitCurrentIteration));
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                // One failing range is the usual case; surface its exception rather than the wrapper.
                ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }
    }
}
