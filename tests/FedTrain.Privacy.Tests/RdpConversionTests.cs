namespace FedTrain.Privacy.Tests;

public sealed class RdpConversionTests
{
    private static readonly double[] TwoTo32 = [.. Enumerable.Range(2, 31).Select(a => (double)a)];

    // Conversion only, R ≡ 1.1 on orders 2..32 (pure DP), δ = 1e-5 → ε = 1.32783806176 at α = 32, and back.
    // google/differential-privacy python/dp_accounting/rdp/rdp_privacy_accountant_test.py @025111e7,
    // test_compute_epsilon_delta_pure_dp; tensorflow/privacy rdp_accountant_test.py @09270afe,
    // test_get_privacy_spent_check_target_delta / _check_target_eps.
    [Fact]
    public void Converts_a_constant_curve_as_the_references_do()
    {
        double[] rdp = [.. TwoTo32.Select(_ => 1.1)];
        var (epsilon, order) = RdpConversion.ToEpsilon(TwoTo32, rdp, 1e-5);
        Approx.Relative(1.32783806176, epsilon, 1e-10);
        Assert.Equal(32, order);

        var (delta, deltaOrder) = RdpConversion.ToDelta(TwoTo32, rdp, 1.32783806176);
        Approx.Relative(1e-5, delta, 1e-9);
        Assert.Equal(32, deltaOrder);
    }

    [Fact]
    public void Classic_conversion_is_the_looser_pre_2021_bound()
    {
        // Mironov 2017, Prop. 3 on the same input: 1.1 + log(1e5)/31 = 1.4713847…, computed by hand.
        double[] rdp = [.. TwoTo32.Select(_ => 1.1)];
        var (epsilon, order) = RdpConversion.ToEpsilonClassic(TwoTo32, rdp, 1e-5);
        Approx.Relative(1.1 + (Math.Log(1e5) / 31), epsilon, 1e-14);
        Approx.Relative(1.4713847, epsilon, 1e-7);
        Assert.Equal(32, order);
    }

    // The Gaussian mechanism (q = 1) with σ = 4.530877117 is exactly (1, 1e-6)-DP; with 99,000 orders 1.000..99.999 the
    // improved conversion recovers it. dp_accounting test_compute_epsilon_delta_gaussian (@025111e7, places = 7);
    // TF Privacy test_get_privacy_spent_check_target_delta, second part (@09270afe).
    [Fact]
    public void Recovers_the_exact_gaussian_guarantee_on_a_fine_grid()
    {
        double[] orders = [.. Enumerable.Range(1000, 99_000).Select(i => 0.001 * i)];
        double[] rdp = [.. orders.Select(a => a > 1 ? SampledGaussianRdp.Compute(1, 4.530877117, a) : 0)];

        // The reference grid starts at α = 1, which only the KL rule uses; ours requires α > 1, so drop it.
        var fine = orders.AsSpan(1);
        var fineRdp = rdp.AsSpan(1);
        Approx.Absolute(1, RdpConversion.ToEpsilon(fine, fineRdp, 1e-6).Epsilon, 5e-8);
        Approx.Absolute(1e-6, RdpConversion.ToDelta(fine, fineRdp, 1).Delta, 5e-8);
    }

    [Fact]
    public void Per_order_edge_cases_follow_dp_accounting()
    {
        double[] orders = [1.005, 2, double.PositiveInfinity];

        // δ = 0: ε = 0 only if nothing was spent.
        Assert.Equal(0, RdpConversion.ToEpsilon(orders, [0, 0, 0], 0).Epsilon);
        Assert.Equal(double.PositiveInfinity, RdpConversion.ToEpsilon(orders, [0, 1e-9, 0], 0).Epsilon);

        // KL rule: δ² + expm1(−R) > 0 ⇒ ε = 0 (R tiny, δ large).
        Assert.Equal(0, RdpConversion.ToEpsilon(orders, [1e-6, 1e-6, 1e-6], 0.1).Epsilon);

        // Orders ≤ 1.01 never use the improved formula; α = ∞ gives pure DP, ε = R(∞).
        Assert.Equal(double.PositiveInfinity, RdpConversion.ToEpsilon([1.005], [0.5], 1e-5).Epsilon);
        var (epsilon, order) = RdpConversion.ToEpsilon([2, double.PositiveInfinity], [100, 0.3], 1e-5);
        Assert.Equal(0.3, epsilon);
        Assert.Equal(double.PositiveInfinity, order);
        Assert.Equal(0, RdpConversion.ToDelta([double.PositiveInfinity], [0.3], 0.3).Delta);

        // Infinite RDP everywhere: ε = ∞ and δ = 1.
        Assert.Equal(double.PositiveInfinity, RdpConversion.ToEpsilon([2, 3], [double.PositiveInfinity, double.PositiveInfinity], 1e-5).Epsilon);
        Assert.Equal(1, RdpConversion.ToDelta([2, 3], [double.PositiveInfinity, double.PositiveInfinity], 1).Delta);
    }

    [Fact]
    public void Epsilon_and_delta_are_inverse_to_each_other()
    {
        // dp_accounting test_epsilon_delta_consistency (@025111e7): orders 2..49, one SGM step.
        double[] orders = [.. Enumerable.Range(2, 48).Select(a => (double)a)];
        foreach (double q in new[] { 0, 0.01, 0.1, 0.8, 1 })
        {
            foreach (double sigma in new[] { 0.0, 0.1, 1, 10, 100 })
            {
                double[] rdp = [.. orders.Select(a => SampledGaussianRdp.Compute(q, sigma, a))];
                foreach (double delta in new[] { .99, .9, .1, .01, 1e-3, 1e-5, 1e-9, 1e-12 })
                {
                    double epsilon = RdpConversion.ToEpsilon(orders, rdp, delta).Epsilon;
                    double back = RdpConversion.ToDelta(orders, rdp, epsilon).Delta;
                    if (double.IsPositiveInfinity(epsilon))
                    {
                        Assert.Equal(1.0, back);
                    }
                    else if (epsilon == 0)
                    {
                        Assert.True(back <= delta);
                    }
                    else
                    {
                        Approx.Absolute(delta, back, 1e-7);
                    }
                }
            }
        }
    }

    [Fact]
    public void Refuses_malformed_input()
    {
        Assert.Equal("rdp", Assert.Throws<ArgumentException>(() => RdpConversion.ToEpsilon([2, 3], [1], 1e-5)).ParamName);
        Assert.Equal("delta", Assert.Throws<ArgumentOutOfRangeException>(() => RdpConversion.ToEpsilon([2], [1], -1)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => RdpConversion.ToDelta([2], [1], -1)).ParamName);
        Assert.Equal("orders", Assert.Throws<ArgumentOutOfRangeException>(() => RdpConversion.ToEpsilon([1], [1], 1e-5)).ParamName);
    }
}
