namespace FedTrain.Privacy.Tests;

// Fractional orders use the signed (exact) series, so fractional-order references below come from implementations
// that use it too: TF Privacy's rdp_accountant and dp_accounting before its 2024 switch to an upper-bound series.
public sealed class SampledGaussianRdpTests
{
    // google/differential-privacy python/dp_accounting/rdp/rdp_privacy_accountant_test.py @025111e75114a96b8d54ba88e483a2b0f99a2954,
    // test_compute_rdp_poisson_sampled_gaussian: q = 0.01, σ = 2.5, 50 steps, rtol 1e-4. At this commit dp_accounting still
    // summed the signed series; its current upper-bound series gives 6.70579741e-4 at α = 1.5 (3.2 % higher).
    [Theory]
    [InlineData(1.5, 6.5007e-04)]
    [InlineData(2.5, 1.0854e-03)]
    [InlineData(5, 2.1808e-03)]
    [InlineData(50, 2.3846e-02)]
    [InlineData(100, 1.6742e+02)]
    public void Matches_dp_accounting_poisson_sampled_gaussian(double alpha, double expected)
    {
        Approx.Relative(expected, 50 * SampledGaussianRdp.Compute(0.01, 2.5, alpha), 1e-4);
    }

    // tensorflow/privacy tensorflow_privacy/privacy/analysis/rdp_accountant_test.py @09270afed61a4e9ef6295217b53731f7515f0350,
    // test_compute_rdp_sequence: same setting, published to an absolute 1e-5 (more digits than dp_accounting at α = 100).
    [Theory]
    [InlineData(1.5, 0.00065)]
    [InlineData(2.5, 0.001085)]
    [InlineData(5, 0.00218075)]
    [InlineData(50, 0.023846)]
    [InlineData(100, 167.416307)]
    public void Matches_tf_privacy_rdp_sequence(double alpha, double expected)
    {
        Approx.Absolute(expected, 50 * SampledGaussianRdp.Compute(0.01, 2.5, alpha), 1e-5);
    }

    // Same TF Privacy file, test_compute_rdp_scalar: q = 0.1, σ = 2, 10 steps, α = 5 → 0.07737 (places = 5).
    [Fact]
    public void Matches_tf_privacy_rdp_scalar()
    {
        Approx.Absolute(0.07737, 10 * SampledGaussianRdp.Compute(0.1, 2, 5), 5e-6);
    }

    // log A_α against a multi-precision integral of its definition, at the parameters of dp_accounting's and TF Privacy's
    // test_compute_log_a_equals_mp (rtol 1e-4 there too). Values: mpmath 1.2.1 quad of
    // N(0,σ²)(z)·((1−q) + q·e^{(2z−1)/2σ²})^α over ℝ, split at 0, maxdegree 10, 40 digits.
    [Theory]
    [InlineData(1e-7, 0.1, 1.01, 4.0034123278425315e-8)]
    [InlineData(1e-6, 0.1, 256, 3260448.8237019717)]
    [InlineData(1e-5, 0.1, 256.1, 3263586.4328729605)]
    [InlineData(1e-6, 1, 27, 8.769503540806863e-10)]
    [InlineData(1e-4, 1.0, 1.5, 6.4426869703639565e-9)]
    [InlineData(1e-3, 1.0, 2, 1.7182803522127806e-6)]
    [InlineData(0.01, 10, 20, 0.00019129699912825616)]
    [InlineData(0.1, 100, 20.5, 0.00019991818458125194)]
    [InlineData(0.99, 0.1, 256, 3263983.0215188321)]
    [InlineData(0.999, 100, 256.1, 3.2601080379731127)]
    [InlineData(0.01, 2.5, 1.5, 6.5007089718673871e-6)]
    [InlineData(0.1, 1, 1.3, 0.002957639241918867)]
    public void Log_a_matches_a_multi_precision_integral(double q, double sigma, double alpha, double expected)
    {
        Approx.Relative(expected, SampledGaussianRdp.LogA(q, sigma, alpha), 1e-4);
    }

    [Fact]
    public void Signed_series_matches_the_integral_to_1e8_at_fractional_orders()
    {
        // The exact-series choice: at α = 1.5 the signed series agrees with the integral far below the 3 % by
        // which the absolute-value series overshoots.
        Approx.Relative(6.5007089718673871e-6, SampledGaussianRdp.LogA(0.01, 2.5, 1.5), 1e-8);
        Approx.Relative(0.002957639241918867, SampledGaussianRdp.LogA(0.1, 1, 1.3), 1e-8);
    }

    [Fact]
    public void Special_cases_follow_the_reference_libraries()
    {
        // TF Privacy test_compute_rdp_no_data and test_compute_rdp_no_sampling (@09270afe).
        Assert.Equal(0, SampledGaussianRdp.Compute(0, 10, 20));
        Assert.Equal(0.1, SampledGaussianRdp.Compute(1, 10, 20), 15);

        // dp_accounting test_compute_rdp_gaussian (@025111e7): q = 1 is the Gaussian mechanism, α/(2σ²).
        Assert.Equal(3.14159 / (2 * 2.71828 * 2.71828), SampledGaussianRdp.Compute(1, 2.71828, 3.14159), 15);

        Assert.Equal(double.PositiveInfinity, SampledGaussianRdp.Compute(0.5, 0, 2));
        Assert.Equal(double.PositiveInfinity, SampledGaussianRdp.Compute(0.5, 1, double.PositiveInfinity));

        // Nobody sampled: nothing is spent, even with no noise (newer dp_accounting test_zero_poisson_sample).
        Assert.Equal(0, SampledGaussianRdp.Compute(0, 0, 2));
        Assert.Equal(0, SampledGaussianRdp.Compute(0, 1, double.PositiveInfinity));
    }

    [Fact]
    public void Rdp_grows_with_q_and_alpha_and_shrinks_with_sigma()
    {
        double previous = 0;
        foreach (double q in new[] { 1e-4, 1e-3, 0.01, 0.1, 0.5, 0.9, 1 })
        {
            double r = SampledGaussianRdp.Compute(q, 1.1, 4.5);
            Assert.True(r > previous, $"q = {q}");
            previous = r;
        }

        previous = double.PositiveInfinity;
        foreach (double sigma in new[] { 0.3, 0.7, 1, 2, 5, 20 })
        {
            double r = SampledGaussianRdp.Compute(0.05, sigma, 3.5);
            Assert.True(r < previous, $"σ = {sigma}");
            previous = r;
        }

        previous = 0;
        foreach (double alpha in RdpOrders.Default)
        {
            double r = SampledGaussianRdp.Compute(0.02, 1.0, alpha);
            Assert.True(r >= previous, $"α = {alpha}");
            previous = r;
        }
    }

    [Fact]
    public void Fractional_orders_interpolate_between_their_integer_neighbours()
    {
        // R(α) is non-decreasing in α, so a fractional order lies between the integers around it; this catches a
        // sign error in the series, which would break the ordering.
        foreach (double q in new[] { 0.001, 0.05, 0.3 })
        {
            foreach (double sigma in new[] { 0.6, 1.0, 3.0 })
            {
                for (int a = 2; a < 10; a++)
                {
                    double low = SampledGaussianRdp.Compute(q, sigma, a);
                    double mid = SampledGaussianRdp.Compute(q, sigma, a + 0.5);
                    double high = SampledGaussianRdp.Compute(q, sigma, a + 1);
                    Assert.InRange(mid, low * (1 - 1e-12), high * (1 + 1e-12));
                }
            }
        }
    }

    [Theory]
    [InlineData(-0.1, 1, 2, "q")]
    [InlineData(1.1, 1, 2, "q")]
    [InlineData(double.NaN, 1, 2, "q")]
    [InlineData(0.1, -1, 2, "sigma")]
    [InlineData(0.1, double.NaN, 2, "sigma")]
    [InlineData(0.1, 1, 1, "alpha")]
    [InlineData(0.1, 1, 0.5, "alpha")]
    public void Refuses_parameters_outside_the_domain(double q, double sigma, double alpha, string parameter)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => SampledGaussianRdp.Compute(q, sigma, alpha));
        Assert.Equal(parameter, e.ParamName);
    }
}
