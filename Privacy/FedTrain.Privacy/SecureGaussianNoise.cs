namespace FedTrain.Privacy;

/// <summary>
/// Gaussian noise that is safe against the floating-point attacks on naive samplers (Mironov 2012, "On significance
/// of the least significant bits for differential privacy"): values are rounded to a power-of-two grid γ and the
/// noise is γ times an integer drawn from the discrete Gaussian of Canonne, Kamath and Steinke (2020), using only
/// the OS cryptographically secure generator. Every output lies on the same grid γ·Z whatever the input, so the
/// set of reachable outputs carries no information about the input; and the last rounding of the exact sum to a
/// double is a fixed function of the released value (post-processing).
/// </summary>
/// <remarks>
/// <para>The grid is γ = 2^(⌊log2 σ⌋ − 44), so σ/γ ∈ [2^44, 2^45): the discrete Gaussian on so fine a grid has the
/// privacy of the continuous one up to a slack below e^{−10^26} (CKS 2020, Thm. 14–15), and every noise integer
/// stays below 2^53 (exact in a double) except with probability below e^{−2^15}.</para>
/// <para>Rounding moves each coordinate by at most γ/2, so the L2 sensitivity of a d-dimensional sum becomes
/// Δ + √d·γ ≤ Δ + √d·σ·2^-44; see <see cref="GranularityFor"/>. <see cref="DpFedAvgAggregator"/> raises σ by
/// that much so the accountant can use the nominal noise multiplier.</para>
/// <para>Not thread-safe: it owns a buffer of generator output. Use one instance per thread.</para>
/// </remarks>
public sealed class SecureGaussianNoise : INoiseSource
{
    /// <summary>σ/γ lies in [2^GridBits, 2^(GridBits+1)).</summary>
    public const int GridBits = 44;

    // Below this σ the grid γ would be subnormal and the exactness arguments fail.
    private const double MinStandardDeviation = 1e-290;

    // |x/γ| at or above 2^52 means x is already a multiple of γ.
    private const double ExactIntegerLimit = 4503599627370496.0;

    private readonly CryptoRandom _random = new();

    /// <inheritdoc/>
    public double GranularityFor(double standardDeviation)
    {
        Check(standardDeviation);
        return Math.ScaleB(1.0, Math.ILogB(standardDeviation) - GridBits);
    }

    /// <summary>One draw γ·k, k ~ N_Z(0, (σ/γ)²): a multiple of <see cref="GranularityFor"/>(σ).</summary>
    public double Sample(double standardDeviation)
    {
        double gamma = GranularityFor(standardDeviation);
        return DiscreteGaussian.Sample(_random, standardDeviation / gamma) * gamma;
    }

    /// <summary>
    /// values[i] ← round(values[i]/γ)·γ + γ·k_i, computed in double and stored as float. The float rounding is
    /// post-processing; it returns an element unchanged when the noise drawn is below half its float ulp, which is
    /// likely only for |values[i]| ≳ σ·2^20.
    /// </summary>
    public void AddNoise(Span<float> values, double standardDeviation)
    {
        double gamma = GranularityFor(standardDeviation);
        double sigma = standardDeviation / gamma;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(RoundToGrid(values[i], gamma) + (DiscreteGaussian.Sample(_random, sigma) * gamma));
        }
    }

    /// <summary>values[i] ← round(values[i]/γ)·γ + γ·k_i.</summary>
    public void AddNoise(Span<double> values, double standardDeviation)
    {
        double gamma = GranularityFor(standardDeviation);
        double sigma = standardDeviation / gamma;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = RoundToGrid(values[i], gamma) + (DiscreteGaussian.Sample(_random, sigma) * gamma);
        }
    }

    private static double RoundToGrid(double value, double gamma)
    {
        // γ is a power of two, so value/γ and k·γ are exact; Math.Round is round-half-even, a fixed function.
        double scaled = value / gamma;
        return Math.Abs(scaled) < ExactIntegerLimit ? Math.Round(scaled) * gamma : value;
    }

    private static void Check(double standardDeviation)
    {
        if (!(standardDeviation >= MinStandardDeviation) || !double.IsFinite(standardDeviation))
        {
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, "The noise standard deviation must be positive (≥ 1e-290) and finite.");
        }
    }
}
