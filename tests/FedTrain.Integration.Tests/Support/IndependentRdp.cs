namespace FedTrain.Integration.Tests.Support;

/// <summary>
/// ε of composed Sampled Gaussian Mechanism releases, computed here from the definitions and nothing in
/// FedTrain.Privacy: A_α = E_{x~N(0,σ²)}[((1−q) + q·e^{(2x−1)/(2σ²)})^α] by the exact binomial sum at integer orders and
/// by numerical integration at fractional ones, R(α) = log(A_α)/(α−1) added over releases, and the improved RDP to
/// (ε, δ) conversion (Canonne, Kamath, Steinke 2020) with dp_accounting's per-order rules, on dp_accounting's default
/// orders. Slow but independent: a check on what the coordinator reports.
/// </summary>
internal static class IndependentRdp
{
    private static readonly double[] Orders =
    [
        .. Enumerable.Range(1, 99).Select(x => 1 + (x / 10.0)),
        .. Enumerable.Range(11, 53).Select(x => (double)x),
        128, 256, 512, 1024,
    ];

    /// <summary>ε at <paramref name="delta"/> after the releases (sampling rate q, noise multiplier σ), in any order.</summary>
    public static double Epsilon(IEnumerable<(double Q, double Sigma)> releases, double delta)
    {
        var list = releases.ToList();
        double best = double.PositiveInfinity;
        foreach (double alpha in Orders)
        {
            if (alpha <= 1.01)
            {
                continue;
            }

            double rdp = list.Sum(r => LogA(r.Q, r.Sigma, alpha) / (alpha - 1));
            double epsilon = rdp < 0 || (delta * delta) + Math.Exp(-rdp) - 1 > 0
                ? 0
                : rdp + Math.Log((alpha - 1) / alpha) - ((Math.Log(delta) + Math.Log(alpha)) / (alpha - 1));
            best = Math.Min(best, epsilon);
        }

        return Math.Max(0, best);
    }

    private static double LogA(double q, double sigma, double alpha) =>
        alpha == Math.Floor(alpha) ? LogAInteger(q, sigma, (int)alpha) : LogAIntegral(q, sigma, alpha);

    // Σᵢ C(α,i) qⁱ (1−q)^(α−i) e^{(i²−i)/(2σ²)}, in logs.
    private static double LogAInteger(double q, double sigma, int alpha)
    {
        var terms = new double[alpha + 1];
        double logBinomial = 0;
        for (int i = 0; i <= alpha; i++)
        {
            if (i > 0)
            {
                logBinomial += Math.Log((double)(alpha - i + 1) / i);
            }

            terms[i] = logBinomial + (i * Math.Log(q)) + ((alpha - i) * Math.Log(1 - q)) + (((double)i * i - i) / (2 * sigma * sigma));
        }

        return LogSumExp(terms, 1);
    }

    // The trapezoid rule in logs over x in [−15σ, α + 15σ], step σ/2000: the integrand is smooth and its mass lies in
    // N(0, σ²) and near x = α, so this is accurate far beyond the 1e-6 the comparison needs.
    private static double LogAIntegral(double q, double sigma, double alpha)
    {
        double step = sigma / 2000;
        double from = -15 * sigma;
        int points = (int)Math.Ceiling(((alpha + (15 * sigma)) - from) / step) + 1;
        var terms = new double[points];
        double logNormaliser = -Math.Log(sigma * Math.Sqrt(2 * Math.PI));
        for (int k = 0; k < points; k++)
        {
            double x = from + (k * step);
            double exponent = ((2 * x) - 1) / (2 * sigma * sigma);
            // log((1−q) + q·e^exponent), kept finite for large exponents.
            double mixture = exponent > 0
                ? exponent + Math.Log(q + ((1 - q) * Math.Exp(-exponent)))
                : Math.Log((1 - q) + (q * Math.Exp(exponent)));
            terms[k] = logNormaliser - (x * x / (2 * sigma * sigma)) + (alpha * mixture) + (k == 0 || k == points - 1 ? Math.Log(0.5) : 0);
        }

        return LogSumExp(terms, step);
    }

    private static double LogSumExp(double[] terms, double weight)
    {
        double max = terms.Max();
        double sum = terms.Sum(t => Math.Exp(t - max));
        return max + Math.Log(sum * weight);
    }
}
