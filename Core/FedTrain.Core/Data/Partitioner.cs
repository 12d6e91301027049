namespace FedTrain.Core.Data;

/// <summary>
/// Splits example indices into worker shards, IID or label-skewed by a Dirichlet distribution (the split
/// used by Hsu et al. 2019 and most FL benchmarks), reproducibly from a seed.
/// </summary>
public static class Partitioner
{
    /// <summary>
    /// Returns one index list per shard. Every index lands in exactly one shard. For Dirichlet splits each
    /// class is divided across shards in proportions drawn from Dir(α,…,α); draws that leave a shard with
    /// fewer than <paramref name="minShardSize"/> examples are redrawn, as the reference implementations do.
    /// </summary>
    public static int[][] Partition(
        IReadOnlyList<long> labels, int classes, int shards, PartitionScheme scheme, ulong seed, int minShardSize = 10)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(scheme);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shards);
        if ((long)shards * minShardSize > labels.Count)
        {
            minShardSize = labels.Count / shards;
        }

        var rng = new SplitMix64(seed);
        return scheme.Alpha is { } alpha
            ? Dirichlet(labels, classes, shards, alpha, minShardSize, rng)
            : Iid(labels.Count, shards, rng);
    }

    private static int[][] Iid(int count, int shards, SplitMix64 rng)
    {
        var order = Enumerable.Range(0, count).ToArray();
        rng.Shuffle(order);
        var result = new int[shards][];
        for (int s = 0; s < shards; s++)
        {
            int start = (int)((long)count * s / shards);
            int end = (int)((long)count * (s + 1) / shards);
            result[s] = order[start..end];
        }

        return result;
    }

    private static int[][] Dirichlet(
        IReadOnlyList<long> labels, int classes, int shards, double alpha, int minShardSize, SplitMix64 rng)
    {
        var byClass = new List<int>[classes];
        for (int c = 0; c < classes; c++)
        {
            byClass[c] = [];
        }

        for (int i = 0; i < labels.Count; i++)
        {
            byClass[labels[i]].Add(i);
        }

        const int maxAttempts = 1000;
        for (int attempt = 0; ; attempt++)
        {
            var result = new List<int>[shards];
            for (int s = 0; s < shards; s++)
            {
                result[s] = [];
            }

            foreach (var members in byClass)
            {
                rng.Shuffle(members);
                var proportions = new double[shards];
                double sum = 0;
                for (int s = 0; s < shards; s++)
                {
                    proportions[s] = rng.NextGamma(alpha);
                    sum += proportions[s];
                }

                int start = 0;
                double cumulative = 0;
                for (int s = 0; s < shards; s++)
                {
                    cumulative += proportions[s] / sum;
                    int end = s == shards - 1 ? members.Count : (int)Math.Round(cumulative * members.Count);
                    end = Math.Clamp(end, start, members.Count);
                    result[s].AddRange(members.GetRange(start, end - start));
                    start = end;
                }
            }

            if (result.All(r => r.Count >= minShardSize))
            {
                return result.Select(r =>
                {
                    var shard = r.ToArray();
                    rng.Shuffle(shard);
                    return shard;
                }).ToArray();
            }

            if (attempt == maxAttempts)
            {
                throw new InvalidOperationException(
                    $"No Dirichlet(α={alpha}) split gave every one of {shards} shards {minShardSize} examples in {maxAttempts} draws; raise alpha or use fewer shards.");
            }
        }
    }

    /// <summary>
    /// Splits one shard into a training part and a held-out part for the worker's local evaluation. The
    /// held-out part is the last <paramref name="holdoutFraction"/> of a seeded shuffle.
    /// </summary>
    public static (int[] Train, int[] Holdout) SplitHoldout(IReadOnlyList<int> shard, double holdoutFraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(shard);
        if (!(holdoutFraction >= 0 && holdoutFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(holdoutFraction), holdoutFraction, "Must be in [0, 1).");
        }

        var order = shard.ToArray();
        new SplitMix64(seed).Shuffle(order);
        int holdout = (int)Math.Round(order.Length * holdoutFraction);
        if (holdoutFraction > 0 && order.Length > 1)
        {
            holdout = Math.Max(1, holdout);
        }

        return (order[..(order.Length - holdout)], order[(order.Length - holdout)..]);
    }
}
