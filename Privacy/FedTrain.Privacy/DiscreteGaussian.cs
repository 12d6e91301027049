namespace FedTrain.Privacy;

/// <summary>
/// Exact-support samplers of Canonne, Kamath, Steinke (2020), "The Discrete Gaussian for Differential Privacy":
/// the discrete Gaussian N_Z(0, σ²), P(k) ∝ e^{−k²/2σ²} on the integers, by rejection from the discrete Laplace
/// (their Algorithms 1–3). All draws are integers; every Bernoulli has p ≥ e^{−1}, decided exactly for the double
/// p by <see cref="CryptoRandom.Bernoulli"/>, so each atom's probability is within a relative ~1e-15 of the ideal
/// one and no integer is ever unreachable.
/// </summary>
internal static class DiscreteGaussian
{
    private static readonly double ExpMinusOne = Math.Exp(-1);

    /// <summary>A draw of N_Z(0, σ²) for σ ≥ 1 (the grid sizes used here make σ ≈ 2^44).</summary>
    public static long Sample(CryptoRandom random, double sigma)
    {
        // CKS Algorithm 3: propose Y ~ DLap(t), t = ⌊σ⌋ + 1, accept with e^{−(|Y| − σ²/t)²/(2σ²)}.
        long t = (long)Math.Floor(sigma) + 1;
        double sigma2 = sigma * sigma;
        double center = sigma2 / t;
        while (true)
        {
            long y = SampleLaplace(random, t);
            double d = Math.Abs((double)y) - center;
            if (BernoulliExpMinus(random, d * d / (2 * sigma2)))
            {
                return y;
            }
        }
    }

    /// <summary>A draw of the discrete Laplace with P(y) ∝ e^{−|y|/t} (CKS Algorithm 2 with s = 1).</summary>
    public static long SampleLaplace(CryptoRandom random, long t)
    {
        while (true)
        {
            // y = U + t·V with U uniform below t (accepted with e^{−U/t}) and V geometric(1 − e^{−1}).
            long u = (long)random.NextBelow((ulong)t);
            if (!BernoulliExpMinus(random, (double)u / t))
            {
                continue;
            }

            long v = 0;
            while (random.Bernoulli(ExpMinusOne))
            {
                v++;
            }

            long x = u + (t * v);
            bool negative = random.NextBit();
            if (negative && x == 0)
            {
                // Without this, 0 would be drawn twice as often as it should.
                continue;
            }

            return negative ? -x : x;
        }
    }

    /// <summary>Bernoulli(e^{−γ}) for γ ≥ 0 as a product of Bernoulli(e^{−1}) draws and one Bernoulli(e^{−frac}) (CKS Algorithm 1's reduction).</summary>
    public static bool BernoulliExpMinus(CryptoRandom random, double gamma)
    {
        while (gamma > 1)
        {
            if (!random.Bernoulli(ExpMinusOne))
            {
                return false;
            }

            gamma -= 1;
        }

        return random.Bernoulli(Math.Exp(-gamma));
    }
}
