namespace FedTrain.Core.Robust;

/// <summary>
/// The plain mean of an <see cref="IUpdateSet"/>, example-weighted (FedAvg) or not: the non-robust baseline the
/// robust rules are compared with, for updates that are already spooled. For updates that arrive one at a time,
/// <c>WeightedSum</c> does the same in O(P) memory.
/// </summary>
public static class UpdateMean
{
    /// <summary>Writes Σ wₖΔₖ / Σ wₖ (or Σ Δₖ / n when <paramref name="weighted"/> is false) into <paramref name="destination"/>.</summary>
    public static void Aggregate(IUpdateSet updates, Span<float> destination, bool weighted = true, RangeOptions options = default, CancellationToken cancellationToken = default)
    {
        UpdateSetArguments.Validate(updates, destination);
        int n = updates.Count;
        var rows = UpdateSetArguments.AllRows(n);
        var coefficients = UpdateSetArguments.MeanCoefficients(updates, rows, Enumerable.Repeat(1.0, n).ToArray(), weighted);
        int rangeLength = RangeRunner.ResolveRangeLength(options, n, updates.Length, blockAligned: false);
        RangeRunner.Run(updates, rows, rangeLength, options, destination,
            (_, _, count, buffer, output) => UpdateSetArguments.LinearCombination(buffer, count, coefficients, output), cancellationToken);
    }
}
