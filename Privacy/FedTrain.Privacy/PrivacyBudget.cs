namespace FedTrain.Privacy;

/// <summary>
/// An (ε, δ) budget for a training run, spent one SGM release (one federated round) at a time. The coordinator asks
/// <see cref="CanAfford"/> before it starts a round and calls <see cref="Commit"/> once the round's noisy aggregate
/// has been released.
/// </summary>
/// <remarks>Not thread-safe; one instance per training run.</remarks>
public sealed class PrivacyBudget
{
    private readonly RdpAccountant _accountant;

    /// <summary>Creates a budget with nothing spent.</summary>
    /// <param name="targetEpsilon">The ε not to exceed, &gt; 0.</param>
    /// <param name="delta">The δ at which ε is measured, in (0, 1); usually well below 1/(number of clients).</param>
    /// <param name="orders">Rényi orders; null means <see cref="RdpOrders.Default"/>.</param>
    public PrivacyBudget(double targetEpsilon, double delta, IReadOnlyList<double>? orders = null)
    {
        Guard.Positive(targetEpsilon, nameof(targetEpsilon), "target epsilon");
        Guard.Delta(delta, nameof(delta));
        TargetEpsilon = targetEpsilon;
        Delta = delta;
        _accountant = new RdpAccountant(orders);
    }

    /// <summary>The ε not to exceed.</summary>
    public double TargetEpsilon { get; }

    /// <summary>The δ at which ε is measured.</summary>
    public double Delta { get; }

    /// <summary>The ε spent by the rounds committed so far (0 before the first).</summary>
    public double SpentEpsilon { get; private set; }

    /// <summary>The number of rounds committed.</summary>
    public long Rounds => _accountant.TotalSteps;

    /// <summary>What was committed, consecutive identical rounds merged.</summary>
    public IReadOnlyList<SgmEvent> History => _accountant.History;

    /// <summary>Whether <paramref name="rounds"/> more rounds at (q, z) keep the total within <see cref="TargetEpsilon"/>.</summary>
    /// <param name="samplingRate">The Poisson sampling rate q = m/M the round will sample clients with, in (0, 1].</param>
    /// <param name="noiseMultiplier">The total noise multiplier z of the round (for adaptive clipping, the z before splitting), &gt; 0.</param>
    /// <param name="rounds">How many rounds, ≥ 1.</param>
    public bool CanAfford(double samplingRate, double noiseMultiplier, int rounds = 1)
    {
        return EpsilonAfter(samplingRate, noiseMultiplier, rounds) <= TargetEpsilon;
    }

    /// <summary>The ε the budget would show after <paramref name="rounds"/> more rounds at (q, z); nothing is recorded.</summary>
    public double EpsilonAfter(double samplingRate, double noiseMultiplier, int rounds = 1)
    {
        Validate(samplingRate, noiseMultiplier, rounds);
        var what = _accountant.Clone();
        what.Compose(samplingRate, noiseMultiplier, rounds);
        return what.GetEpsilon(Delta);
    }

    /// <summary>
    /// The ε the budget would show after one more round made of <paramref name="releases"/> (e.g. the model's release
    /// and the fairness histogram's), composed in RDP; nothing is recorded.
    /// </summary>
    public double EpsilonAfter(IReadOnlyList<SgmEvent> releases)
    {
        ArgumentNullException.ThrowIfNull(releases);
        var what = _accountant.Clone();
        foreach (var release in releases)
        {
            Validate(release.SamplingRate, release.NoiseMultiplier, checked((int)release.Steps));
            what.Compose(release.SamplingRate, release.NoiseMultiplier, (int)release.Steps);
        }

        return what.GetEpsilon(Delta);
    }

    /// <summary>Whether one more round made of <paramref name="releases"/> keeps the total within <see cref="TargetEpsilon"/>.</summary>
    public bool CanAfford(IReadOnlyList<SgmEvent> releases) => EpsilonAfter(releases) <= TargetEpsilon;

    /// <summary>
    /// The largest number of further rounds at (q, z) that stays within the target (0 if not even one does),
    /// capped at <paramref name="limit"/>.
    /// </summary>
    public int AffordableRounds(double samplingRate, double noiseMultiplier, int limit = 1_000_000)
    {
        Validate(samplingRate, noiseMultiplier, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (!CanAfford(samplingRate, noiseMultiplier, 1))
        {
            return 0;
        }

        // ε grows with the number of rounds: double to bracket, then bisect on the integer count.
        int good = 1;
        int bad = 2;
        while (bad <= limit && CanAfford(samplingRate, noiseMultiplier, bad))
        {
            good = bad;
            bad = bad > limit / 2 ? limit + 1 : bad * 2;
        }

        if (bad > limit && good == limit)
        {
            return limit;
        }

        bad = Math.Min(bad, limit + 1);
        while (bad - good > 1)
        {
            int mid = good + ((bad - good) / 2);
            if (CanAfford(samplingRate, noiseMultiplier, mid))
            {
                good = mid;
            }
            else
            {
                bad = mid;
            }
        }

        return good;
    }

    /// <summary>
    /// Records <paramref name="rounds"/> released rounds at (q, z) and returns the new <see cref="SpentEpsilon"/>.
    /// A release that happened is always recorded, even past the target: check <see cref="CanAfford"/> first.
    /// </summary>
    public double Commit(double samplingRate, double noiseMultiplier, int rounds = 1)
    {
        Validate(samplingRate, noiseMultiplier, rounds);
        _accountant.Compose(samplingRate, noiseMultiplier, rounds);
        SpentEpsilon = _accountant.GetEpsilon(Delta);
        return SpentEpsilon;
    }

    private static void Validate(double samplingRate, double noiseMultiplier, int rounds)
    {
        Guard.SamplingRate(samplingRate, nameof(samplingRate));
        Guard.Positive(noiseMultiplier, nameof(noiseMultiplier), "noise multiplier");
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
    }
}
