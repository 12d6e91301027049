namespace FedTrain.Core.Robust;

/// <summary>
/// How the robust kernels cut the parameter vector into ranges. Each worker holds one buffer of
/// (updates read) × <see cref="RangeLength"/> floats, so these two numbers bound the kernels' own memory.
/// The default (all zeros) picks both automatically.
/// </summary>
public readonly record struct RangeOptions
{
    /// <summary>
    /// Automatic range length aims at this many bytes of buffer per worker: small enough to stay in a core's L2
    /// between the copy-in and the kernel's pass over it, so the updates cross the memory bus once. (16 MiB buffers
    /// measured at about half the throughput of 512 KiB ones on a 2-core VM with 1 MiB of L2 per core.)
    /// </summary>
    public const int AutomaticBufferBytes = 512 << 10;

    /// <summary>
    /// Coordinates per range. 0 picks about <see cref="AutomaticBufferBytes"/> per worker, at least 4 Ki
    /// coordinates (16 Ki for 8 updates; 4 Ki, i.e. n × 16 KiB, from 32 updates up). Rules that reduce over coordinates (Krum's distances, norm bounding's norms) round it up to a
    /// multiple of 4096 so that their sums do not depend on it.
    /// </summary>
    public int RangeLength { get; init; }

    /// <summary>Ranges processed at once, each by its own thread with its own buffer; 0 means the processor count.</summary>
    public int MaxDegreeOfParallelism { get; init; }
}
