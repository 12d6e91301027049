namespace FedTrain.Privacy;

/// <summary>
/// Log-space arithmetic for the accountant: sums of terms that over- or underflow as plain doubles
/// (binomial sums with e^{i²/2σ²} factors) are carried as logarithms. 0 is represented by -∞.
/// </summary>
internal static class LogMath
{
    /// <summary>log(1 + x), accurate for small |x| (.NET's double.LogP1 is log(x + 1) and loses it).</summary>
    public static double Log1p(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0)
        {
            return x;
        }

        // Goldberg's correction: log(u) · x / (u − 1) cancels the rounding of 1 + x to first order.
        return double.IsPositiveInfinity(u) ? u : Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>e^x − 1, accurate for small |x|.</summary>
    public static double Expm1(double x)
    {
        if (Math.Abs(x) < 1e-5)
        {
            return x + (0.5 * x * x) + (x * x * x / 6.0);
        }

        double u = Math.Exp(x);
        if (u == 1.0)
        {
            return x;
        }

        if (u - 1.0 == -1.0 || double.IsPositiveInfinity(u))
        {
            return u - 1.0;
        }

        // Kahan's correction, the mirror of Log1p's.
        return (u - 1.0) * x / Math.Log(u);
    }

    /// <summary>log(e^a + e^b).</summary>
    public static double LogAdd(double logX, double logY)
    {
        double a = Math.Min(logX, logY);
        double b = Math.Max(logX, logY);
        if (double.IsNegativeInfinity(a))
        {
            return b;
        }

        return Log1p(Math.Exp(a - b)) + b;
    }

    /// <summary>
    /// log(e^x − e^y) for x ≥ y. Returns <see cref="double.NaN"/> when the difference would be negative,
    /// so the caller can decide what a non-convergent series means.
    /// </summary>
    public static double LogSub(double logX, double logY)
    {
        if (logX < logY)
        {
            return double.NaN;
        }

        if (double.IsNegativeInfinity(logY))
        {
            return logX;
        }

        if (logX == logY)
        {
            return double.NegativeInfinity;
        }

        double d = logX - logY;
        // e^d overflows past ~709; there e^x − e^y = e^x to double precision.
        return d > 700 ? logX : Math.Log(Expm1(d)) + logY;
    }
}
