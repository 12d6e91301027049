
namespace FedTrain.Coordinator.Tests;

/// <summary>DP settings that would make the reported ε untrue are refused at start, naming the option.</summary>
public sealed class PrivacyOptionsTests
{
    private static CoordinatorOptions Dp(Action<PrivacyOptions>? privacy = null)
    {
        var options = new CoordinatorOptions
        {
            Privacy = new PrivacyOptions { SamplingRate = 0.1, NoiseMultiplier = 1, TargetEpsilon = 50, Delta = 1e-5, Population = 1000 },
        };
        privacy?.Invoke(options.Privacy);
        return options;
    }

    [Fact]
    public void A_valid_dp_configuration_has_no_quorum_and_one_attempt_per_round()
    {
        var options = Dp();
        options.Validate();
        Assert.Equal(0, options.EffectiveQuorumFraction);
        Assert.Equal(1, options.EffectiveMaxRoundAttempts);
        var plain = new CoordinatorOptions();
        Assert.Equal(0.5, plain.EffectiveQuorumFraction);
        Assert.Equal(3, plain.EffectiveMaxRoundAttempts);
    }

    [Fact]
    public void A_quorum_under_dp_is_refused_because_it_conditions_the_release_on_the_count()
    {
        var options = Dp();
        options.QuorumFraction = 0.5;
        Assert.Contains("quorum_fraction", Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
        options.QuorumFraction = null;
        options.MaxRoundAttempts = 3;
        Assert.Contains("max_round_attempts", Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_population_is_a_required_public_constant()
    {
        var options = Dp(p => p.Population = null);
        Assert.Contains("population (--population-size) is required", Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(Dp(p => p.Population = 0).Validate);
    }

    [Fact]
    public void A_delta_not_below_one_over_the_population_is_refused_unless_accepted_explicitly()
    {
        var options = Dp(p => { p.Population = 100; p.Delta = 0.01; });
        Assert.Contains("allow_delta_above_inverse_population", Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
        options.Privacy!.AllowDeltaAboveInversePopulation = true;
        options.Validate();
    }

    [Theory]
    [InlineData(0.0, 4.0, 20, "EvaluationSamplingRate")]
    [InlineData(0.1, 0.0, 20, "EvaluationNoiseMultiplier")]
    [InlineData(0.1, 4.0, 1, "FairnessBuckets")]
    public void Bad_fairness_release_settings_are_refused(double rate, double noise, int buckets, string named)
    {
        var options = Dp(p => { p.EvaluationSamplingRate = rate; p.EvaluationNoiseMultiplier = noise; p.FairnessBuckets = buckets; });
        Assert.Contains(named, Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_plan_warns_when_the_noise_swamps_the_clipped_signal()
    {
        var privacy = new PrivacyOptions { SamplingRate = 0.1, NoiseMultiplier = 1, ClipNorm = 1, TargetEpsilon = 8, Delta = 1e-5, Population = 100 };
        // m = 10: noise 0.1 per coordinate, about 0.1·√420000 ≈ 65 over the CNN, against C = 1.
        var lines = PrivacyPlan.Describe(privacy, 420_000, fairness: true, rounds: 40);
        Assert.Contains(lines, l => l.Contains("z*C/m = 0.1 per coordinate", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Warning: the noise", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("fairness histogram", StringComparison.Ordinal));
        // m = 2000 clients per round: noise norm 0.32 < C, no warning.
        privacy.Population = 20_000;
        Assert.DoesNotContain(PrivacyPlan.Describe(privacy, 420_000, fairness: false, rounds: 40), l => l.StartsWith("Warning", StringComparison.Ordinal));
    }
}
