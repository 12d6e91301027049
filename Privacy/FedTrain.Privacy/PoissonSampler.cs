namespace FedTrain.Privacy;

/// <summary>
/// Poisson sampling of a cohort: each of the M clients is included independently with probability q, using the OS
/// cryptographically secure generator. This is the sampling the SGM accountant assumes; the cohort size is random
/// (Binomial(M, q)), and the aggregate must still be divided by the expected size q·M.
/// </summary>
public static class PoissonSampler
{
    private const double TwoTo64 = 18446744073709551616.0;

    /// <summary>The indices in [0, <paramref name="population"/>) that were drawn, ascending.</summary>
    /// <param name="population">Number of clients M, ≥ 0.</param>
    /// <param name="rate">Inclusion probability q in (0, 1]. Each inclusion has probability exactly q for q ≥ 2^-11,
    /// and q rounded down by less than 2^-64 below that (an under-estimate, which keeps the accountant conservative).</param>
    public static int[] Sample(int population, double rate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(population);
        Guard.SamplingRate(rate, nameof(rate));
        if (rate == 1)
        {
            return Enumerable.Range(0, population).ToArray();
        }

        ulong threshold = (ulong)(rate * TwoTo64);
        var random = new CryptoRandom(Math.Clamp(population, 1, 4096));
        var chosen = new List<int>((int)Math.Min(population, (rate * population) + (6 * Math.Sqrt(rate * population)) + 16));
        for (int i = 0; i < population; i++)
        {
            if (random.NextUInt64() < threshold)
            {
                chosen.Add(i);
            }
        }

        return [.. chosen];
    }
}
