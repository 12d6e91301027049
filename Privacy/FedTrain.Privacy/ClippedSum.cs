namespace FedTrain.Privacy;

/// <summary>
/// The sum of clipped updates that DP-FedAvg noises, kept apart from the noise: a coordinator node sums the updates it
/// received this way, at the round's clip norm, and hands the sum to the node leading the run, whose
/// <see cref="DpFedAvgAggregator"/> adds it (<see cref="DpFedAvgAggregator.AddPartialRange"/>) and draws the noise
/// once for the whole round. Exact, unnoised: it never leaves the coordinator. Not thread-safe.
/// </summary>
public sealed class ClippedSum
{
    private readonly double[] _sum;

    /// <param name="dimension">Number of model parameters, ≥ 1.</param>
    /// <param name="clipNorm">The round's C &gt; 0.</param>
    public ClippedSum(int dimension, double clipNorm)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Guard.Positive(clipNorm, nameof(clipNorm), "clip norm");
        _sum = new double[dimension];
        ClipNorm = clipNorm;
    }

    public double ClipNorm { get; }

    /// <summary>Σ clip(Δ, C), in float64.</summary>
    public ReadOnlySpan<double> Sum => _sum;

    /// <summary>Updates added.</summary>
    public int Count { get; private set; }

    /// <summary>Updates added with ‖Δ‖ ≤ C.</summary>
    public int UnclippedCount { get; private set; }

    /// <summary>Clips <paramref name="update"/> to C and adds it; the update is not modified.</summary>
    /// <exception cref="NonFiniteUpdateException">An element is NaN or infinite; nothing is added.</exception>
    public void Add(ReadOnlySpan<float> update)
    {
        if (update.Length != _sum.Length)
        {
            throw new ArgumentException($"The update has {update.Length} parameters; the model has {_sum.Length}.", nameof(update));
        }

        if (Add(update, ClipNorm, _sum))
        {
            UnclippedCount++;
        }

        Count++;
    }

    /// <summary>
    /// sum += Δ · min(1, C / ‖Δ‖), in float64 from the float64 norm (the clipped contribution's norm is C to within
    /// 1e-12 relative); whether Δ was left unclipped (‖Δ‖ ≤ C, equality included as in TFF). The one clipping step both
    /// the leader's aggregator and a node's partial sum take, so that a sum made on a node equals the leader's own.
    /// </summary>
    /// <exception cref="NonFiniteUpdateException">An element is NaN or infinite; nothing is added.</exception>
    internal static bool Add(ReadOnlySpan<float> update, double clipNorm, Span<double> sum)
    {
        double norm = L2Clipping.NormOfFinite(update);
        bool unclipped = norm <= clipNorm;
        double scale = unclipped ? 1.0 : clipNorm / norm;
        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] += scale * update[i];
        }

        return unclipped;
    }
}
