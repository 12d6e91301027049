namespace FedTrain.Privacy.Tests;

// Statistical checks on 10^6 draws. Every tolerance is 5 standard errors of the statistic at that sample size
// (a false failure about once in 1.7 million runs), and the chi-square thresholds sit at p < 1e-6.
public sealed class SecureGaussianNoiseTests
{
    private const int N = 1_000_000;
    private const double Sigma = 2.0;

    [Fact]
    public void Draws_have_the_gaussian_mean_variance_and_tails()
    {
        var values = new double[N];
        new SecureGaussianNoise().AddNoise(values, Sigma);

        double mean = values.Average();
        double variance = values.Sum(v => (v - mean) * (v - mean)) / (N - 1);

        // SE(mean) = σ/√n; SE(s²)/σ² = √(2/(n−1)).
        Assert.InRange(mean, -5 * Sigma / Math.Sqrt(N), 5 * Sigma / Math.Sqrt(N));
        Assert.InRange(variance / (Sigma * Sigma), 1 - (5 * Math.Sqrt(2.0 / N)), 1 + (5 * Math.Sqrt(2.0 / N)));

        // P(|X| > kσ) = erfc(k/√2): 0.0455002638963584 for k = 2, 0.00269979606326019 for k = 3; SE = √(p(1−p)/n).
        AssertFrequency(values.Count(v => Math.Abs(v) > 2 * Sigma), 0.0455002638963584);
        AssertFrequency(values.Count(v => Math.Abs(v) > 3 * Sigma), 0.00269979606326019);
    }

    [Fact]
    public void Every_draw_is_on_the_grid_and_its_low_bits_are_uniform()
    {
        var noise = new SecureGaussianNoise();
        double gamma = noise.GranularityFor(Sigma);
        Assert.Equal(Math.ScaleB(1, 1 - SecureGaussianNoise.GridBits), gamma);

        var values = new double[N];
        noise.AddNoise(values, Sigma);

        var lowNibble = new long[16];
        var bitSet = new long[8];
        foreach (double v in values)
        {
            double k = v / gamma;
            Assert.Equal(Math.Round(k), k);
            long integer = (long)k;
            lowNibble[integer & 15]++;
            for (int b = 0; b < 8; b++)
            {
                bitSet[b] += (integer >> b) & 1;
            }
        }

        // σ/γ = 2^44, so the distribution is flat at the scale of the low bits: no value of k mod 16 may be missing
        // or favoured (a floating-point sampler shows holes exactly there). χ² with 15 dof: P(χ² > 55) ≈ 1e-6.
        double expected = N / 16.0;
        double chi2 = lowNibble.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chi2 < 55, $"χ² = {chi2}");
        foreach (long count in bitSet)
        {
            Assert.InRange(count, (N / 2) - (5 * Math.Sqrt(N) / 2), (N / 2) + (5 * Math.Sqrt(N) / 2));
        }
    }

    [Fact]
    public void Discrete_gaussian_sampler_matches_the_exact_pmf()
    {
        // On a coarse scale (σ = 2.5) every atom is visible: compare with P(k) ∝ e^{−k²/2σ²} by χ².
        const double sigma = 2.5;
        var random = new CryptoRandom();
        var counts = new Dictionary<long, long>();
        for (int i = 0; i < N; i++)
        {
            long k = DiscreteGaussian.Sample(random, sigma);
            counts[k] = counts.GetValueOrDefault(k) + 1;
        }

        AssertMatchesPmf(counts, k => Math.Exp(-(double)k * k / (2 * sigma * sigma)), 25);
    }

    [Fact]
    public void Discrete_laplace_sampler_matches_the_exact_pmf()
    {
        const long t = 3;
        var random = new CryptoRandom();
        var counts = new Dictionary<long, long>();
        for (int i = 0; i < N; i++)
        {
            long y = DiscreteGaussian.SampleLaplace(random, t);
            counts[y] = counts.GetValueOrDefault(y) + 1;
        }

        AssertMatchesPmf(counts, y => Math.Exp(-Math.Abs((double)y) / t), 40);
    }

    [Fact]
    public void Bernoulli_of_an_exponential_has_the_right_rate()
    {
        var random = new CryptoRandom();
        int hits = 0;
        for (int i = 0; i < N; i++)
        {
            hits += DiscreteGaussian.BernoulliExpMinus(random, 2.5) ? 1 : 0;
        }

        AssertFrequency(hits, Math.Exp(-2.5));
    }

    [Fact]
    public void Add_noise_changes_every_element()
    {
        // A float keeps its value when the noise is below half its ulp; with |x| ≤ 5e-3 (ulp ≤ 4.7e-10) and σ = 10 that
        // happens to one of 10^5 elements with probability ~2e-6 per run. (For |x| ≫ σ·2^-24 it is the float rounding,
        // a post-processing step, not a skipped element.)
        var noise = new SecureGaussianNoise();
        var floats = Enumerable.Range(0, 100_000).Select(i => (float)((i * 1e-7) - 5e-3)).ToArray();
        var original = (float[])floats.Clone();
        noise.AddNoise(floats, 10);
        for (int i = 0; i < floats.Length; i++)
        {
            Assert.NotEqual(original[i], floats[i]);
        }

        var doubles = new double[100_000];
        noise.AddNoise(doubles, 1e-6);
        Assert.DoesNotContain(0.0, doubles);
    }

    [Fact]
    public void Single_samples_are_gaussian()
    {
        var noise = new SecureGaussianNoise();
        var draws = new double[100_000];
        for (int i = 0; i < draws.Length; i++)
        {
            draws[i] = noise.Sample(3.0);
        }

        double mean = draws.Average();
        double variance = draws.Sum(v => (v - mean) * (v - mean)) / (draws.Length - 1);
        Assert.InRange(mean, -5 * 3.0 / Math.Sqrt(draws.Length), 5 * 3.0 / Math.Sqrt(draws.Length));
        Assert.InRange(variance / 9.0, 1 - (5 * Math.Sqrt(2.0 / draws.Length)), 1 + (5 * Math.Sqrt(2.0 / draws.Length)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Refuses_non_positive_or_non_finite_standard_deviations(double sd)
    {
        var noise = new SecureGaussianNoise();
        Assert.Equal("standardDeviation", Assert.ThrowsAny<ArgumentException>(() => noise.Sample(sd)).ParamName);
        Assert.Equal("standardDeviation", Assert.ThrowsAny<ArgumentException>(() => noise.AddNoise(new float[3], sd)).ParamName);
    }

    private static void AssertFrequency(long hits, double p)
    {
        double tolerance = 5 * Math.Sqrt(p * (1 - p) / N);
        Assert.InRange((double)hits / N, p - tolerance, p + tolerance);
    }

    // χ² of observed counts against an unnormalised pmf, with the tails pooled into one bin each side.
    private static void AssertMatchesPmf(Dictionary<long, long> counts, Func<long, double> weight, int range)
    {
        double total = 0;
        for (long k = -10 * range; k <= 10 * range; k++)
        {
            total += weight(k);
        }

        double chi2 = 0;
        int bins = 0;
        long inside = 0;
        double insideProbability = 0;
        for (long k = -range; k <= range; k++)
        {
            double p = weight(k) / total;
            if (p * N < 20)
            {
                continue;
            }

            long observed = counts.GetValueOrDefault(k);
            chi2 += (observed - (p * N)) * (observed - (p * N)) / (p * N);
            inside += observed;
            insideProbability += p;
            bins++;
        }

        double outsideExpected = (1 - insideProbability) * N;
        chi2 += (N - inside - outsideExpected) * (N - inside - outsideExpected) / Math.Max(outsideExpected, 1);

        // Wilson–Hilferty: the 1e-6 upper quantile of χ² with `bins` degrees of freedom.
        double nu = bins;
        double threshold = nu * Math.Pow(1 - (2 / (9 * nu)) + (4.753 * Math.Sqrt(2 / (9 * nu))), 3);
        Assert.True(chi2 < threshold, $"χ² = {chi2} over {bins} bins (threshold {threshold})");
    }
}
