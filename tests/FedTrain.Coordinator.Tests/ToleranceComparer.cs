namespace FedTrain.Coordinator.Tests;

/// <summary>Floats equal within an absolute tolerance, for comparing aggregated models with what they should be.</summary>
internal sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
{
    public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

    // Equal values may hash apart under any finer hash; the comparer is for sequences, which do not hash.
    public int GetHashCode(float obj) => 0;
}
