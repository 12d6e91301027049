namespace FedTrain.Privacy;

/// <summary>
/// Record-level accounting for DP-SGD on one worker: the same SGM accountant with q = batch/n and one step per
/// batch. Example-level guarantees hold only if batches are Poisson-sampled with that q; shuffled fixed-size
/// batches are commonly accounted this way, but that is an approximation.
/// </summary>
public static class DpSgdAccounting
{
    /// <summary>
    /// Steps in <paramref name="epochs"/> epochs, ⌈epochs·n/batch⌉: the convention of TF Privacy's
    /// <c>compute_dp_sgd_privacy</c>. (Opacus uses ⌊epochs/q⌋, which can differ by one.)
    /// </summary>
    public static int Steps(int examples, int batchSize, double epochs)
    {
        Check(examples, batchSize);
        Guard.Positive(epochs, nameof(epochs), "number of epochs");
        double steps = Math.Ceiling(epochs * examples / batchSize);
        return steps <= int.MaxValue ? (int)steps : throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Too many steps.");
    }

    /// <summary>ε of DP-SGD over <paramref name="examples"/> records, Poisson batches of expected size <paramref name="batchSize"/>.</summary>
    /// <param name="orders">Rényi orders; null means <see cref="RdpOrders.Default"/>.</param>
    public static (double Epsilon, double Order) Epsilon(int examples, int batchSize, double noiseMultiplier, double epochs, double delta, IReadOnlyList<double>? orders = null)
    {
        Guard.Positive(noiseMultiplier, nameof(noiseMultiplier), "noise multiplier");
        Guard.Delta(delta, nameof(delta));
        int steps = Steps(examples, batchSize, epochs);
        var accountant = new RdpAccountant(orders);
        accountant.Compose((double)batchSize / examples, noiseMultiplier, steps);
        return accountant.GetEpsilonAndOrder(delta);
    }

    private static void Check(int examples, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (batchSize > examples)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch cannot be larger than the dataset.");
        }
    }
}
