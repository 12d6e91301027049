using FedTrain.Core.Data;

namespace FedTrain.Coordinator.Rounds;

/// <summary>Picks a round's cohort: a seeded uniform sample of the live clients.</summary>
public static class CohortSelector
{
    /// <summary>
    /// Selects max(<paramref name="minCount"/>, ⌈<paramref name="fraction"/> · n⌉) of the <paramref name="available"/>
    /// clients (all of them when fewer are available), in a reproducible order.
    /// </summary>
    public static IReadOnlyList<string> Select(IReadOnlyList<string> available, double fraction, int minCount, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(available);
        int wanted = Math.Max(minCount, (int)Math.Ceiling(fraction * available.Count));
        var pool = available.ToList();
        if (wanted >= pool.Count)
        {
            return pool;
        }

        new SplitMix64(seed).Shuffle(pool);
        return pool.Take(wanted).OrderBy(w => w, StringComparer.Ordinal).ToList();
    }
}
