namespace FedTrain.Privacy;

/// <summary>
/// Rényi DP of the Sampled Gaussian Mechanism (Mironov, Talwar, Zhang 2019, "Rényi Differential Privacy of the
/// Sampled Gaussian Mechanism"): every record joins the batch independently with probability q, the clipped
/// contributions are summed, and N(0, (σ·C)²) is added to the sum. Neighbouring datasets differ by adding or
/// removing one record. R(α) = log(A_α)/(α − 1) with A_α = E_{x~N(0,σ²)}[((1 − q) + q·e^{(2x−1)/(2σ²)})^α].
/// </summary>
/// <remarks>
/// Fractional orders use the signed series of §3.3 (as Opacus and TF Privacy do, and dp_accounting did until
/// 2024): each term carries the sign of the generalized binomial C(α, i). That series is the exact A_α
/// (matching a multi-precision integral), whereas dp_accounting now sums |terms| for an upper bound that is a few
/// percent higher at α ≈ 1.5. Integer orders use the finite binomial sum and are identical in every library.
/// </remarks>
public static class SampledGaussianRdp
{
    // Terms below e^-30 relative to 1 stop the fractional series (the reference implementations' rule).
    private const double SeriesCutoff = -30;

    // A series that has not met the cutoff after this many terms is treated as divergent: R = +∞ for that order,
    // which only drops the order from the ε minimum (conservative).
    private const int MaxSeriesTerms = 100_000;

    private const double Sqrt2 = 1.41421356237309504880;

    /// <summary>
    /// R(α) for one step. Special cases: q = 0 → 0 (nobody is sampled); σ = 0 or α = ∞ → +∞;
    /// q = 1 → α/(2σ²), the plain Gaussian mechanism.
    /// </summary>
    /// <param name="q">Sampling rate in [0, 1].</param>
    /// <param name="sigma">Noise multiplier σ ≥ 0: noise std divided by the L2 sensitivity.</param>
    /// <param name="alpha">Rényi order, &gt; 1 (may be +∞).</param>
    public static double Compute(double q, double sigma, double alpha)
    {
        Guard.SamplingRateOrZero(q, nameof(q));
        if (!(sigma >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "The noise multiplier must be non-negative.");
        }

        if (!(alpha > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The Rényi order must be greater than 1.");
        }

        if (q == 0)
        {
            return 0;
        }

        if (sigma == 0 || double.IsPositiveInfinity(alpha))
        {
            return double.PositiveInfinity;
        }

        if (double.IsPositiveInfinity(sigma))
        {
            return 0;
        }

        if (q == 1)
        {
            return alpha / (2 * sigma * sigma);
        }

        return LogA(q, sigma, alpha) / (alpha - 1);
    }

    /// <summary>R(α) for one step at every order of <paramref name="orders"/>, written to <paramref name="destination"/>.</summary>
    public static void Compute(double q, double sigma, ReadOnlySpan<double> orders, Span<double> destination)
    {
        if (destination.Length < orders.Length)
        {
            throw new ArgumentException("The destination is shorter than the list of orders.", nameof(destination));
        }

        for (int i = 0; i < orders.Length; i++)
        {
            destination[i] = Compute(q, sigma, orders[i]);
        }
    }

    /// <summary>log A_α for 0 &lt; q &lt; 1, σ &gt; 0, finite α &gt; 1; +∞ where the fractional series does not converge.</summary>
    internal static double LogA(double q, double sigma, double alpha)
    {
        return alpha == Math.Floor(alpha) && alpha < int.MaxValue
            ? LogAInteger(q, sigma, (int)alpha)
            : LogAFractional(q, sigma, alpha);
    }

    private static double LogAInteger(double q, double sigma, int alpha)
    {
        double logQ = Math.Log(q);
        double log1MinusQ = LogMath.Log1p(-q);
        double twoSigma2 = 2 * sigma * sigma;
        double logA = double.NegativeInfinity;
        for (int i = 0; i <= alpha; i++)
        {
            double term = SpecialFunctions.LogAbsBinomial(alpha, i) + (i * logQ) + ((alpha - i) * log1MinusQ)
                + (((double)i * i - i) / twoSigma2);
            logA = LogMath.LogAdd(logA, term);
        }

        return logA;
    }

    private static double LogAFractional(double q, double sigma, double alpha)
    {
        double logQ = Math.Log(q);
        double log1MinusQ = LogMath.Log1p(-q);
        double twoSigma2 = 2 * sigma * sigma;
        double scale = Sqrt2 * sigma;

        // The integral splits at z0 where the two Gaussians' densities cross (weighted by q and 1 − q).
        double z0 = (sigma * sigma * (log1MinusQ - logQ)) + 0.5;
        double logA0 = double.NegativeInfinity;
        double logA1 = double.NegativeInfinity;

        for (int i = 0; i < MaxSeriesTerms; i++)
        {
            int sign = SpecialFunctions.BinomialSign(alpha, i);
            double logCoef = SpecialFunctions.LogAbsBinomial(alpha, i);
            double j = alpha - i;

            double logT0 = logCoef + (i * logQ) + (j * log1MinusQ);
            double logT1 = logCoef + (j * logQ) + (i * log1MinusQ);

            double logE0 = Math.Log(0.5) + SpecialFunctions.LogErfc((i - z0) / scale);
            double logE1 = Math.Log(0.5) + SpecialFunctions.LogErfc((z0 - j) / scale);

            double logS0 = logT0 + (((double)i * i - i) / twoSigma2) + logE0;
            double logS1 = logT1 + (((j * j) - j) / twoSigma2) + logE1;

            if (sign > 0)
            {
                logA0 = LogMath.LogAdd(logA0, logS0);
                logA1 = LogMath.LogAdd(logA1, logS1);
            }
            else if (sign < 0)
            {
                logA0 = LogMath.LogSub(logA0, logS0);
                logA1 = LogMath.LogSub(logA1, logS1);
                if (double.IsNaN(logA0) || double.IsNaN(logA1))
                {
                    // A partial sum went negative: the series is not behaving; drop this order.
                    return double.PositiveInfinity;
                }
            }

            if (Math.Max(logS0, logS1) < SeriesCutoff)
            {
                return LogMath.LogAdd(logA0, logA1);
            }
        }

        return double.PositiveInfinity;
    }
}
