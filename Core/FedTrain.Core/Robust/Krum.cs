namespace FedTrain.Core.Robust;

/// <summary>
/// Krum and Multi-Krum (Blanchard, El Mhamdi, Guerraoui and Stainer 2017, "Machine Learning with Adversaries:
/// Byzantine Tolerant Gradient Descent"). Each update's score is the sum of its squared distances to its n − f − 2
/// nearest other updates; Krum returns the update with the lowest score, Multi-Krum the mean of the m lowest.
/// </summary>
/// <remarks>
/// <para>Requires n &gt; 2f + 2, the paper's condition; Flower does not check it and clamps n − f − 2 to at least 1.
/// We refuse instead, since below it the guarantee is void.</para>
/// <para>Scores ignore weights (a weight is a client's claim). Multi-Krum's mean is example-weighted by default, as
/// Flower's; the paper averages unweighted (<c>weighted: false</c>).</para>
/// <para>Memory beyond the update set: one buffer of n × range floats per worker, the n(n − 1)/2 pairwise distances,
/// and per range in flight n(n − 1)/2 × range/4096 float64 partial sums. Distances are computed directly as
/// Σ(xᵢ − xⱼ)² (Flower's ‖x‖² + ‖y‖² − 2x·y cancels badly for nearby updates), block by block in a fixed order, so
/// they are bit-identical for every range length and degree of parallelism.</para>
/// </remarks>
public static class Krum
{
    /// <summary>Scores every update and selects the <paramref name="selectCount"/> best.</summary>
    /// <param name="byzantineCount">f, the number of Byzantine updates to tolerate; needs n &gt; 2f + 2.</param>
    /// <param name="selectCount">m ∈ [1, n]; 1 is Krum. Blanchard et al. suggest m = n − f.</param>
    public static KrumSelection Select(IUpdateSet updates, int byzantineCount, int selectCount = 1, RangeOptions options = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(updates);
        int n = updates.Count;
        if (byzantineCount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(byzantineCount), byzantineCount, "f (byzantineCount) must not be negative.");
        }

        if (n <= (2 * byzantineCount) + 2)
        {
            throw new ArgumentException(
                $"Krum needs n > 2f + 2 updates: with f = {byzantineCount} (byzantineCount) it needs at least {(2 * byzantineCount) + 3}, got n = {n}.",
                nameof(byzantineCount));
        }

        if (selectCount < 1 || selectCount > n)
        {
            throw new ArgumentOutOfRangeException(nameof(selectCount), selectCount, $"m (selectCount) must lie in [1, n] = [1, {n}].");
        }

        var distances = SquaredDistances(updates, options, cancellationToken);
        var scores = Scores(distances, n, n - byzantineCount - 2);
        var order = Enumerable.Range(0, n).OrderBy(i => scores[i]).ThenBy(i => i).Take(selectCount).ToArray();
        return new KrumSelection(order, scores);
    }

    /// <summary>Krum: copies the single most central update into <paramref name="destination"/>.</summary>
    public static KrumSelection Aggregate(IUpdateSet updates, int byzantineCount, Span<float> destination, RangeOptions options = default, CancellationToken cancellationToken = default)
    {
        UpdateSetArguments.Validate(updates, destination);
        var selection = Select(updates, byzantineCount, 1, options, cancellationToken);
        updates.ReadRange(selection.Selected[0], 0, destination);
        return selection;
    }

    /// <summary>Multi-Krum: writes the mean of the <paramref name="selectCount"/> most central updates into <paramref name="destination"/>.</summary>
    /// <param name="weighted">Weight the mean by the updates' weights (Flower) or not (the paper).</param>
    public static KrumSelection AggregateMulti(
        IUpdateSet updates, int byzantineCount, int selectCount, Span<float> destination, bool weighted = true, RangeOptions options = default, CancellationToken cancellationToken = default)
    {
        UpdateSetArguments.Validate(updates, destination);
        var selection = Select(updates, byzantineCount, selectCount, options, cancellationToken);
        var rows = selection.Selected.ToArray();
        var ones = Enumerable.Repeat(1.0, rows.Length).ToArray();
        var coefficients = UpdateSetArguments.MeanCoefficients(updates, rows, ones, weighted);
        int rangeLength = RangeRunner.ResolveRangeLength(options, rows.Length, updates.Length, blockAligned: false);
        RangeRunner.Run(updates, rows, rangeLength, options, destination,
            (_, _, count, buffer, output) => UpdateSetArguments.LinearCombination(buffer, count, coefficients, output), cancellationToken);
        return selection;
    }

    /// <summary>Squared distances of all pairs i &lt; j, in the order (0,1), (0,2), …, (n−2, n−1).</summary>
    private static double[] SquaredDistances(IUpdateSet updates, RangeOptions options, CancellationToken cancellationToken)
    {
        int n = updates.Count;
        int pairs = n * (n - 1) / 2;
        var reduction = new OrderedBlockReduction(pairs);
        int rangeLength = RangeRunner.ResolveRangeLength(options, n, updates.Length, blockAligned: true);
        RangeRunner.Run(updates, UpdateSetArguments.AllRows(n), rangeLength, options, default, (range, _, count, rows, _) =>
        {
            int blocks = (count + BlockSums.BlockLength - 1) / BlockSums.BlockLength;
            var partials = reduction.RentPartials(blocks);
            for (int b = 0; b < blocks; b++)
            {
                int offset = b * BlockSums.BlockLength;
                int length = Math.Min(BlockSums.BlockLength, count - offset);
                int pair = b * pairs;
                for (int i = 0; i < n; i++)
                {
                    var x = rows.AsSpan((i * count) + offset, length);
                    for (int j = i + 1; j < n; j++)
                    {
                        partials[pair++] = BlockSums.BlockSquaredDistance(x, rows.AsSpan((j * count) + offset, length));
                    }
                }
            }

            reduction.Commit(range, partials, blocks);
        }, cancellationToken);
        return reduction.Totals.ToArray();
    }

    private static double[] Scores(double[] pairDistances, int n, int neighbours)
    {
        var scores = new double[n];
        var row = new double[n - 1];
        for (int i = 0; i < n; i++)
        {
            int k = 0;
            for (int j = 0; j < n; j++)
            {
                if (j != i)
                {
                    row[k++] = pairDistances[PairIndex(Math.Min(i, j), Math.Max(i, j), n)];
                }
            }

            Array.Sort(row);
            double score = 0;
            for (int k2 = 0; k2 < neighbours; k2++)
            {
                score += row[k2];
            }

            scores[i] = score;
        }

        return scores;
    }

    /// <summary>Index of pair (i, j), i &lt; j, in the row-by-row upper-triangle order.</summary>
    private static int PairIndex(int i, int j, int n) => (i * ((2 * n) - i - 1) / 2) + (j - i - 1);
}
