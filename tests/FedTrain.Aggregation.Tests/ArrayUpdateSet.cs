using FedTrain.Core.Robust;

namespace FedTrain.Aggregation.Tests;

/// <summary>The simplest <see cref="IUpdateSet"/>: arrays in memory, for tests that should not depend on the spool.</summary>
internal sealed class ArrayUpdateSet(float[][] updates, double[]? weights = null) : IUpdateSet
{
    public int Count => updates.Length;

    public long Length => updates.Length == 0 ? 0 : updates[0].Length;

    public void ReadRange(int update, long start, Span<float> destination) =>
        updates[update].AsSpan((int)start, destination.Length).CopyTo(destination);

    public double Weight(int update) => weights?[update] ?? 1.0;
}
