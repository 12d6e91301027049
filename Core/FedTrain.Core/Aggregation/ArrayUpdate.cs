namespace FedTrain.Core.Aggregation;

/// <summary>An update already held in memory.</summary>
public sealed class ArrayUpdate(float[] values) : IUpdateSource
{
    private readonly float[] _values = values ?? throw new ArgumentNullException(nameof(values));

    public long Length => _values.LongLength;

    public void ReadRange(long start, Span<float> destination)
    {
        ParameterRanges.CheckRange(start, destination.Length, Length);
        _values.AsSpan(checked((int)start), destination.Length).CopyTo(destination);
    }

    /// <summary>The values themselves, for kernels that can skip the copy.</summary>
    internal ReadOnlySpan<float> Slice(long start, int count) => _values.AsSpan(checked((int)start), count);
}
