namespace FedTrain.Core.Robust;

/// <summary>
/// Batcher's odd–even merge sort as a list of comparators (i, j), i &lt; j, each putting the smaller value at i.
/// Built for the next power of two and pruned of comparators that touch an index ≥ n: padding with +∞ at the top
/// makes those comparators no-ops, so the pruned list still sorts n values. O(n log² n) comparators (19 for n = 8,
/// 63 for 16, 543 for 64), and the comparators of one merge step are independent, which lets the CPU overlap them.
/// </summary>
internal static class SortingNetwork
{
    /// <summary>Comparators for <paramref name="n"/> values, flattened as [i₀, j₀, i₁, j₁, …].</summary>
    public static int[] Comparators(int n)
    {
        var pairs = new List<int>();
        for (int p = 1; p < n; p <<= 1)
        {
            for (int k = p; k >= 1; k >>= 1)
            {
                for (int j = k % p; j + k < n; j += 2 * k)
                {
                    for (int i = 0; i <= Math.Min(k - 1, n - j - k - 1); i++)
                    {
                        // Compare only within the same block of 2p being merged.
                        if ((i + j) / (2 * p) == (i + j + k) / (2 * p))
                        {
                            pairs.Add(i + j);
                            pairs.Add(i + j + k);
                        }
                    }
                }
            }
        }

        return [.. pairs];
    }
}
