namespace FedTrain.Privacy;

/// <summary>
/// Conversion of an RDP curve (R(α) at a grid of orders) to (ε, δ)-DP and back, with the per-order rules of
/// Google dp_accounting's <c>compute_epsilon</c>/<c>compute_delta</c>.
/// </summary>
/// <remarks>
/// The conversion is the improved bound ε = R(α) + log((α−1)/α) − (log δ + log α)/(α − 1)
/// (Canonne, Kamath, Steinke 2020, Prop. 12; Asoodeh et al. 2020; Balle et al. 2020, Thm. 21), used by dp_accounting
/// and by Opacus since 2021. Per order: R = 0 or δ² + expm1(−R) &gt; 0 gives ε = 0 (the KL bound δ ≤ √(1 − e^{−R}));
/// orders ≤ 1.01 are skipped because the formula is unstable there; α = +∞ gives ε = R(∞) (pure DP).
/// The result is clamped at 0. Opacus applies the same formula without the KL rule or the clamp, so the two agree
/// whenever ε &gt; 0 and the optimum is not at α ≤ 1.01.
/// </remarks>
public static class RdpConversion
{
    /// <summary>
    /// The smallest ε over the grid such that the mechanism is (ε, δ)-DP, with the order that attains it.
    /// δ = 0 gives (0, NaN) when every R is 0 and (+∞, NaN) otherwise.
    /// </summary>
    /// <param name="orders">Rényi orders, each &gt; 1 (may be +∞).</param>
    /// <param name="rdp">R(α) at each order (may be +∞).</param>
    /// <param name="delta">Target δ in [0, 1].</param>
    public static (double Epsilon, double Order) ToEpsilon(ReadOnlySpan<double> orders, ReadOnlySpan<double> rdp, double delta)
    {
        CheckLengths(orders, rdp);
        Guard.DeltaForConversion(delta, nameof(delta));
        if (delta == 0)
        {
            foreach (double r in rdp)
            {
                if (r != 0)
                {
                    return (double.PositiveInfinity, double.NaN);
                }
            }

            return (0, double.NaN);
        }

        double logDelta = Math.Log(delta);
        double best = double.PositiveInfinity;
        double bestOrder = double.NaN;
        for (int i = 0; i < orders.Length; i++)
        {
            double a = CheckOrder(orders[i]);
            double r = Sanitize(rdp[i]);
            double eps;
            if ((delta * delta) + LogMath.Expm1(-r) > 0)
            {
                eps = 0;
            }
            else if (double.IsPositiveInfinity(a))
            {
                eps = r;
            }
            else if (a > 1.01)
            {
                eps = r + LogMath.Log1p(-1 / a) - ((logDelta + Math.Log(a)) / (a - 1));
            }
            else
            {
                eps = double.PositiveInfinity;
            }

            if (eps < best || double.IsNaN(bestOrder))
            {
                best = eps;
                bestOrder = a;
            }
        }

        return (Math.Max(0, best), bestOrder);
    }

    /// <summary>
    /// The smallest δ over the grid such that the mechanism is (ε, δ)-DP, with the order that attains it
    /// (the inverse of <see cref="ToEpsilon"/>): log δ_α = min(½·log(1 − e^{−R}), (α−1)(R − ε + log(1 − 1/α)) − log α),
    /// the second bound only for α &gt; 1.01; δ is capped at 1.
    /// </summary>
    public static (double Delta, double Order) ToDelta(ReadOnlySpan<double> orders, ReadOnlySpan<double> rdp, double epsilon)
    {
        CheckLengths(orders, rdp);
        if (!(epsilon >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be non-negative.");
        }

        double best = double.PositiveInfinity;
        double bestOrder = double.NaN;
        for (int i = 0; i < orders.Length; i++)
        {
            double a = CheckOrder(orders[i]);
            double r = Sanitize(rdp[i]);
            double logDelta = r == 0 ? double.NegativeInfinity : 0.5 * LogMath.Log1p(-Math.Exp(-r));
            if (double.IsPositiveInfinity(a))
            {
                // α → ∞ limit of the bound below: −∞ when R(∞) ≤ ε (pure ε-DP), +∞ otherwise.
                logDelta = r <= epsilon ? double.NegativeInfinity : logDelta;
            }
            else if (a > 1.01)
            {
                double bound = ((a - 1) * (r - epsilon + LogMath.Log1p(-1 / a))) - Math.Log(a);

                // R = ε = ∞ makes the bound ∞ − ∞; it says nothing then.
                logDelta = double.IsNaN(bound) ? logDelta : Math.Min(logDelta, bound);
            }

            if (logDelta < best || double.IsNaN(bestOrder))
            {
                best = logDelta;
                bestOrder = a;
            }
        }

        return (Math.Min(Math.Exp(best), 1), bestOrder);
    }

    /// <summary>
    /// The classic conversion ε = min_α R(α) + log(1/δ)/(α − 1) (Mironov 2017, Prop. 3), looser than
    /// <see cref="ToEpsilon"/>. Only for comparing with values published before 2021 (TF Privacy before be8175bf,
    /// Opacus before 026ee9e8, the moments accountant of the DP-FedAvg paper).
    /// </summary>
    public static (double Epsilon, double Order) ToEpsilonClassic(ReadOnlySpan<double> orders, ReadOnlySpan<double> rdp, double delta)
    {
        CheckLengths(orders, rdp);
        Guard.Delta(delta, nameof(delta));
        double best = double.PositiveInfinity;
        double bestOrder = double.NaN;
        for (int i = 0; i < orders.Length; i++)
        {
            double a = CheckOrder(orders[i]);
            double r = Sanitize(rdp[i]);
            double eps = double.IsPositiveInfinity(a) ? r : r - (Math.Log(delta) / (a - 1));
            if (eps < best || double.IsNaN(bestOrder))
            {
                best = eps;
                bestOrder = a;
            }
        }

        return (Math.Max(0, best), bestOrder);
    }

    private static void CheckLengths(ReadOnlySpan<double> orders, ReadOnlySpan<double> rdp)
    {
        if (orders.Length != rdp.Length)
        {
            throw new ArgumentException($"{orders.Length} orders but {rdp.Length} RDP values.", nameof(rdp));
        }

        if (orders.IsEmpty)
        {
            throw new ArgumentException("At least one order is needed.", nameof(orders));
        }
    }

    private static double CheckOrder(double orders)
    {
        // Named after the caller's parameter so the exception points at the list that holds the bad order.
        return orders > 1 ? orders : throw new ArgumentOutOfRangeException(nameof(orders), orders, "Every Rényi order must be greater than 1.");
    }

    // Rounding can leave log A_α a hair below 0; a NaN can only mean an unusable order, which must not win.
    private static double Sanitize(double r) => double.IsNaN(r) ? double.PositiveInfinity : Math.Max(r, 0);
}
