namespace FedTrain.Core.Data;

/// <summary>
/// A tiny seeded generator (SplitMix64) for reproducible data partitioning. Its output is fixed by its
/// definition, unlike <see cref="Random"/>, so a seed names the same shards on every runtime and machine.
/// Not for cryptographic or privacy noise.
/// </summary>
public sealed class SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>
    /// A seed derived from a name (FNV-1a over its UTF-16 code units), the same in every process; unlike
    /// <see cref="string.GetHashCode()"/>, which .NET randomises per process.
    /// </summary>
    public static ulong SeedFrom(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ulong hash = 0xCBF29CE484222325UL;
        foreach (char c in name)
        {
            hash = (hash ^ c) * 0x100000001B3UL;
        }

        return hash;
    }

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="bound"/>), without modulo bias.</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        ulong limit = ulong.MaxValue - (ulong.MaxValue % (ulong)bound);
        ulong value;
        do
        {
            value = NextUInt64();
        }
        while (value >= limit);
        return (int)(value % (ulong)bound);
    }

    /// <summary>Standard normal by Box–Muller.</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Gamma(<paramref name="shape"/>, 1) by Marsaglia–Tsang, boosted for shape &lt; 1.</summary>
    public double NextGamma(double shape)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shape);
        if (shape < 1)
        {
            // Gamma(a) = Gamma(a + 1) · U^(1/a).
            return NextGamma(shape + 1) * Math.Pow(1.0 - NextDouble(), 1.0 / shape);
        }

        double d = shape - (1.0 / 3.0);
        double c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = NextGaussian();
                v = 1.0 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            double u = 1.0 - NextDouble();
            if (Math.Log(u) < (0.5 * x * x) + d - (d * v) + (d * Math.Log(v)))
            {
                return d * v;
            }
        }
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
