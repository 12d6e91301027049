namespace FedTrain.Core.Robust;

/// <summary>What norm bounding did to a round's updates.</summary>
/// <param name="Norms">L2 norm of every update before clipping, by index.</param>
/// <param name="ClippedCount">How many updates had a norm above the bound and were scaled down to it.</param>
public sealed record NormBoundingResult(IReadOnlyList<double> Norms, int ClippedCount);
