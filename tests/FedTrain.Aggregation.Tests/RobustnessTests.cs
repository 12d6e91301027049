using FedTrain.Core.Robust;

namespace FedTrain.Aggregation.Tests;

/// <summary>With a fifth of the clients attacking, the robust rules stay near the honest mean and the plain mean does not.</summary>
public sealed class RobustnessTests
{
    private const int Clients = 20;
    private const int Attackers = 4;
    private const int Length = 2000;

    /// <summary>Honest deltas μ + N(0, 0.05²) with μ ∈ [0.5, 1.5]; the first four clients are rewritten by the attack.</summary>
    private static (float[][] Updates, float[] Honest) Round(string attack)
    {
        var rng = new Random(2024);
        var mu = Enumerable.Range(0, Length).Select(_ => (float)(0.5 + rng.NextDouble())).ToArray();
        var updates = new float[Clients][];
        for (int k = 0; k < Clients; k++)
        {
            updates[k] = mu.Select(m => m + (float)(0.05 * Gaussian(rng))).ToArray();
        }

        var byzantine = ByzantineAttack.Parse(attack);
        for (int k = 0; k < Attackers; k++)
        {
            byzantine.Apply(updates[k], (ulong)k);
        }

        var honest = new float[Length];
        UpdateMean.Aggregate(new ArrayUpdateSet(updates[Attackers..]), honest, weighted: false);
        return (updates, honest);
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static double Error(float[][] updates, float[] honest, Action<IUpdateSet, float[]> rule)
    {
        var result = new float[Length];
        rule(new ArrayUpdateSet(updates), result);
        return TestData.RelativeError(result, honest);
    }

    [Fact]
    public void Sign_flip_moves_the_mean_but_not_the_robust_rules()
    {
        var (updates, honest) = Round("sign-flip");
        Assert.True(Error(updates, honest, (u, d) => UpdateMean.Aggregate(u, d)) > 0.3);
        Assert.True(Error(updates, honest, (u, d) => CoordinateMedian.Aggregate(u, d)) < 0.1);
        Assert.True(Error(updates, honest, (u, d) => TrimmedMean.Aggregate(u, 0.2, d)) < 0.1);
        Assert.True(Error(updates, honest, (u, d) => Krum.Aggregate(u, Attackers, d)) < 0.1);
        Assert.True(Error(updates, honest, (u, d) => Krum.AggregateMulti(u, Attackers, Clients - Attackers, d)) < 0.02);
    }

    [Theory]
    [InlineData("gaussian:10")]
    [InlineData("same-value:-50")]
    [InlineData("scale:-20")]
    public void Other_attacks_are_resisted_too(string attack)
    {
        var (updates, honest) = Round(attack);
        Assert.True(Error(updates, honest, (u, d) => UpdateMean.Aggregate(u, d)) > 0.3);
        Assert.True(Error(updates, honest, (u, d) => CoordinateMedian.Aggregate(u, d)) < 0.1);
        Assert.True(Error(updates, honest, (u, d) => TrimmedMean.Aggregate(u, 0.2, d)) < 0.1);
        Assert.True(Error(updates, honest, (u, d) => Krum.AggregateMulti(u, Attackers, Clients - Attackers, d)) < 0.02);
    }

    [Fact]
    public void Norm_bounding_limits_a_boosted_update()
    {
        // One client boosts its update 100×; bounding every norm to the honest size caps its pull.
        var (updates, honest) = Round("scale:1");
        ByzantineAttack.Parse("scale:100").Apply(updates[0], 0);
        double honestNorm = Math.Sqrt(honest.Sum(x => (double)x * x));
        Assert.True(Error(updates, honest, (u, d) => UpdateMean.Aggregate(u, d)) > 3);
        Assert.True(Error(updates, honest, (u, d) => NormBounding.Aggregate(u, honestNorm, d)) < 0.01);
    }
}
