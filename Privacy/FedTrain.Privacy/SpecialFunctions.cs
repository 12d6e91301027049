namespace FedTrain.Privacy;

/// <summary>
/// The special functions the accountant needs and .NET lacks: erfc and its scaled and logarithmic forms, and log Γ.
/// erfc follows W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969),
/// whose three rational approximations are accurate to about 1e-16 relative; log Γ is Lanczos (g = 7, 9 terms).
/// </summary>
internal static class SpecialFunctions
{
    private const double OneOverSqrtPi = 0.56418958354775628695;
    private const double Ln2 = 0.69314718055994530942;
    private const double HalfLog2Pi = 0.91893853320467274178;
    private const double Sqrt2 = 1.41421356237309504880;
    private const double CodyFirstBreak = 0.46875;

    // Cody (1969): erf on [0, 0.46875].
    private static readonly double[] A = [3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03, 1.85777706184603153e-1];
    private static readonly double[] B = [2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03];

    // Cody (1969): e^{x²}·erfc(x) on [0.46875, 4].
    private static readonly double[] C =
    [
        5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
        8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
        2.15311535474403846e-8,
    ];

    private static readonly double[] D =
    [
        1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
        3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03,
    ];

    // Cody (1969): x·e^{x²}·erfc(x) as a rational function of 1/x² on (4, ∞).
    private static readonly double[] P = [3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2];
    private static readonly double[] Q = [2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];

    // Lanczos g = 7, n = 9 (the widely tabulated set; ~1e-15 relative for Γ).
    private const double LanczosG = 7.0;

    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    /// <summary>The complementary error function erfc(x) = 1 − erf(x).</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        double y = Math.Abs(x);
        if (y <= CodyFirstBreak)
        {
            return 1.0 - Erf01(x);
        }

        double tail = ErfcxAbove(y) * ExpMinusSquare(y);
        return x < 0 ? 2.0 - tail : tail;
    }

    /// <summary>The scaled complementary error function e^{x²}·erfc(x), for x ≥ 0 (finite for every x).</summary>
    public static double Erfcx(double x)
    {
        if (x < 0 || double.IsNaN(x))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "Erfcx is implemented for x ≥ 0 only.");
        }

        return x <= CodyFirstBreak ? Math.Exp(x * x) * (1.0 - Erf01(x)) : ErfcxAbove(x);
    }

    /// <summary>log(erfc(x)), accurate where erfc(x) itself underflows (x ≳ 27).</summary>
    public static double LogErfc(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x < CodyFirstBreak)
        {
            if (x < 0)
            {
                // erfc(x) = 2 − erfc(|x|); writing it as log 2 + log1p(−erfc(|x|)/2) keeps the tiny part exact.
                return Ln2 + LogMath.Log1p(-0.5 * Erfc(-x));
            }

            return Math.Log(1.0 - Erf01(x));
        }

        if (double.IsPositiveInfinity(x))
        {
            return double.NegativeInfinity;
        }

        return Math.Log(ErfcxAbove(x)) - Square(x);
    }

    /// <summary>log Φ(x), the log of the standard normal CDF (scipy's log_ndtr).</summary>
    public static double LogNdtr(double x)
    {
        if (x > 5)
        {
            // Φ(x) = 1 − erfc(x/√2)/2 is within 1e-6 of 1: log1p keeps the digits.
            return LogMath.Log1p(-0.5 * Erfc(x / Sqrt2));
        }

        return LogErfc(-x / Sqrt2) - Ln2;
    }

    /// <summary>log|Γ(x)|; +∞ at the poles (x = 0, −1, −2, …).</summary>
    public static double LogGamma(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x < 0.5)
        {
            double s = double.SinPi(x);
            if (s == 0)
            {
                return double.PositiveInfinity;
            }

            // Reflection: Γ(x)Γ(1 − x) = π / sin(πx). SinPi reduces the argument exactly, so large negative x stays accurate.
            return Math.Log(Math.PI / Math.Abs(s)) - LogGamma(1.0 - x);
        }

        if (double.IsPositiveInfinity(x))
        {
            return x;
        }

        double z = x - 1.0;
        double sum = Lanczos[0];
        for (int i = 1; i < Lanczos.Length; i++)
        {
            sum += Lanczos[i] / (z + i);
        }

        double t = z + LanczosG + 0.5;
        return HalfLog2Pi + ((z + 0.5) * Math.Log(t)) - t + Math.Log(sum);
    }

    /// <summary>
    /// log|C(n, k)| for real n &gt; −1 and integer k ≥ 0, the generalized binomial Γ(n+1)/(Γ(k+1)Γ(n−k+1));
    /// −∞ where the coefficient is 0 (integer n &lt; k).
    /// </summary>
    public static double LogAbsBinomial(double n, long k)
    {
        double rest = n - k + 1.0;
        if (rest <= 0 && rest == Math.Floor(rest))
        {
            return double.NegativeInfinity;
        }

        return LogGamma(n + 1.0) - LogGamma(k + 1.0) - LogGamma(rest);
    }

    /// <summary>The sign of the generalized binomial C(n, k) for real n &gt; −1 and integer k ≥ 0: +1, −1 or 0.</summary>
    public static int BinomialSign(double n, long k)
    {
        double rest = n - k + 1.0;
        if (rest > 0)
        {
            return 1;
        }

        if (rest == Math.Floor(rest))
        {
            return 0;
        }

        // Γ is negative on (−1, 0), (−3, −2), …: an odd count of poles lies between rest and 1.
        return ((long)Math.Ceiling(-rest) & 1) == 1 ? -1 : 1;
    }

    // erf(x) for |x| ≤ 0.46875.
    private static double Erf01(double x)
    {
        double ysq = Math.Abs(x) > 1.11e-16 ? x * x : 0.0;
        double num = A[4] * ysq;
        double den = ysq;
        for (int i = 0; i < 3; i++)
        {
            num = (num + A[i]) * ysq;
            den = (den + B[i]) * ysq;
        }

        return x * (num + A[3]) / (den + B[3]);
    }

    // e^{y²}·erfc(y) for y > 0.46875.
    private static double ErfcxAbove(double y)
    {
        if (y <= 4.0)
        {
            double num = C[8] * y;
            double den = y;
            for (int i = 0; i < 7; i++)
            {
                num = (num + C[i]) * y;
                den = (den + D[i]) * y;
            }

            return (num + C[7]) / (den + D[7]);
        }

        // 1/y² underflows only for y > 1e154, where the correction is far below an ulp anyway.
        double inv = 1.0 / (y * y);
        double pNum = P[5] * inv;
        double pDen = inv;
        for (int i = 0; i < 4; i++)
        {
            pNum = (pNum + P[i]) * inv;
            pDen = (pDen + Q[i]) * inv;
        }

        double correction = inv * (pNum + P[4]) / (pDen + Q[4]);
        return (OneOverSqrtPi - correction) / y;
    }

    // e^{−y²} with y² split as s² + (y − s)(y + s), s = y rounded down to 1/16: s² is exact, so the
    // rounding of y² (relative 1e-16, i.e. absolute 1e-13 at y = 27) does not reach the exponential.
    private static double ExpMinusSquare(double y)
    {
        double s = Math.Truncate(16.0 * y) / 16.0;
        double del = (y - s) * (y + s);
        return Math.Exp(-s * s) * Math.Exp(-del);
    }

    private static double Square(double y)
    {
        double s = Math.Truncate(16.0 * y) / 16.0;
        return (s * s) + ((y - s) * (y + s));
    }
}
