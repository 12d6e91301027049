namespace FedTrain.Privacy;

/// <summary>
/// Rényi DP accountant for compositions of the Sampled Gaussian Mechanism (Poisson sampling, add/remove-one
/// neighbours). RDP adds up under composition, so the state is R_total(α) on a fixed grid of orders plus a history
/// of (q, σ, steps); ε for a δ is read off with <see cref="RdpConversion.ToEpsilon"/>.
/// </summary>
/// <remarks>Not thread-safe: one instance belongs to one training run; use <see cref="Clone"/> for what-if queries.</remarks>
public sealed class RdpAccountant
{
    private readonly double[] _orders;
    private readonly double[] _rdp;
    private readonly List<SgmEvent> _history;

    // Per-step RDP of the last (q, σ) composed: federated rounds repeat the same parameters, and the
    // fractional-order series is the expensive part.
    private (double Q, double Sigma) _cachedKey = (double.NaN, double.NaN);
    private double[] _cachedPerStep;

    /// <summary>Creates an accountant with nothing spent.</summary>
    /// <param name="orders">Rényi orders, each &gt; 1; null means <see cref="RdpOrders.Default"/> (dp_accounting's grid).</param>
    public RdpAccountant(IReadOnlyList<double>? orders = null)
    {
        orders ??= RdpOrders.Default;
        if (orders.Count == 0)
        {
            throw new ArgumentException("At least one order is needed.", nameof(orders));
        }

        _orders = [.. orders];
        foreach (double a in _orders)
        {
            if (!(a > 1))
            {
                throw new ArgumentOutOfRangeException(nameof(orders), a, "Every Rényi order must be greater than 1.");
            }
        }

        _rdp = new double[_orders.Length];
        _cachedPerStep = new double[_orders.Length];
        _history = [];
    }

    private RdpAccountant(RdpAccountant other)
    {
        _orders = other._orders;
        _rdp = (double[])other._rdp.Clone();
        _history = [.. other._history];
        TotalSteps = other.TotalSteps;
        _cachedKey = other._cachedKey;
        _cachedPerStep = (double[])other._cachedPerStep.Clone();
    }

    /// <summary>The Rényi orders of this accountant.</summary>
    public IReadOnlyList<double> Orders => _orders;

    /// <summary>R_total(α) at each order, in the order of <see cref="Orders"/>.</summary>
    public IReadOnlyList<double> Rdp => _rdp;

    /// <summary>What has been composed, consecutive identical (q, σ) merged into one entry.</summary>
    public IReadOnlyList<SgmEvent> History => _history;

    /// <summary>The total number of steps composed.</summary>
    public long TotalSteps { get; private set; }

    /// <summary>Records <paramref name="steps"/> releases of the SGM with sampling rate q and noise multiplier σ.</summary>
    /// <param name="samplingRate">Poisson sampling rate q in [0, 1] (q = 0 spends nothing).</param>
    /// <param name="noiseMultiplier">σ ≥ 0, the noise std over the L2 sensitivity (σ = 0 makes ε infinite).</param>
    /// <param name="steps">How many times; 0 is a no-op.</param>
    public void Compose(double samplingRate, double noiseMultiplier, int steps = 1)
    {
        Guard.SamplingRateOrZero(samplingRate, nameof(samplingRate));
        if (!(noiseMultiplier >= 0) || double.IsPositiveInfinity(noiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The noise multiplier must be non-negative and finite.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (steps == 0)
        {
            return;
        }

        double[] perStep = PerStep(samplingRate, noiseMultiplier);
        for (int i = 0; i < _rdp.Length; i++)
        {
            // R·steps with R = ∞ stays ∞; R = 0 stays 0.
            _rdp[i] += perStep[i] == 0 ? 0 : perStep[i] * steps;
        }

        TotalSteps += steps;
        if (_history.Count > 0 && _history[^1].SamplingRate == samplingRate && _history[^1].NoiseMultiplier == noiseMultiplier)
        {
            _history[^1] = _history[^1] with { Steps = _history[^1].Steps + steps };
        }
        else
        {
            _history.Add(new SgmEvent(samplingRate, noiseMultiplier, steps));
        }
    }

    /// <summary>The ε spent so far at this δ (0 before anything is composed).</summary>
    public double GetEpsilon(double delta) => GetEpsilonAndOrder(delta).Epsilon;

    /// <summary>The ε spent so far at this δ and the Rényi order that gives it.</summary>
    public (double Epsilon, double Order) GetEpsilonAndOrder(double delta) => RdpConversion.ToEpsilon(_orders, _rdp, delta);

    /// <summary>The δ at which the composition so far is ε-DP.</summary>
    public double GetDelta(double epsilon) => RdpConversion.ToDelta(_orders, _rdp, epsilon).Delta;

    /// <summary>The δ at which the composition so far is ε-DP, and the order that gives it.</summary>
    public (double Delta, double Order) GetDeltaAndOrder(double epsilon) => RdpConversion.ToDelta(_orders, _rdp, epsilon);

    /// <summary>An independent copy (same orders, same spend, same history).</summary>
    public RdpAccountant Clone() => new(this);

    private double[] PerStep(double q, double sigma)
    {
        if (_cachedKey.Q != q || _cachedKey.Sigma != sigma)
        {
            var perStep = new double[_orders.Length];
            SampledGaussianRdp.Compute(q, sigma, _orders, perStep);
            _cachedPerStep = perStep;
            _cachedKey = (q, sigma);
        }

        return _cachedPerStep;
    }
}
