namespace FedTrain.Core.Strategies;

/// <summary>An element-wise optimizer kernel over one chunk: the model and delta slices start at <paramref name="start"/>,
/// which the kernel uses to slice its own state buffers.</summary>
internal delegate void ChunkKernel(Span<float> model, ReadOnlySpan<float> delta, int start);

/// <summary>
/// Splits an element-wise kernel over fixed chunks of the parameter vector. Below <see cref="Threshold"/> a single
/// thread is faster than fanning out; above it the kernels are memory-bound and two threads reach more of the
/// bandwidth than one. Every element is computed by the same instructions whatever the split, so the result is
/// bit-identical to the sequential run.
/// </summary>
internal static class ParallelChunks
{
    public const int Threshold = 1 << 20;
    public const int ChunkSize = 1 << 18;

    public static unsafe void Run(Span<float> model, ReadOnlySpan<float> delta, ChunkKernel kernel)
    {
        int length = model.Length;
        if (length < Threshold)
        {
            kernel(model, delta, 0);
            return;
        }

        fixed (float* modelStart = model)
        fixed (float* deltaStart = delta)
        {
            // Spans cannot be captured by the lambda; the addresses can, and the arrays stay pinned until it returns.
            var modelAddress = (nint)modelStart;
            var deltaAddress = (nint)deltaStart;
            Parallel.For(0, (length + ChunkSize - 1) / ChunkSize, index =>
            {
                int start = index * ChunkSize;
                int count = Math.Min(ChunkSize, length - start);
                kernel(
                    new Span<float>((float*)modelAddress + start, count),
                    new ReadOnlySpan<float>((float*)deltaAddress + start, count),
                    start);
            });
        }
    }
}
