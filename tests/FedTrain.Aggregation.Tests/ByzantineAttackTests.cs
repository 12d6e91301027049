using FedTrain.Core.Robust;

namespace FedTrain.Aggregation.Tests;

public sealed class ByzantineAttackTests
{
    [Fact]
    public void Sign_flip_negates_and_optionally_scales()
    {
        float[] delta = [1, -2, 0.5f];
        ByzantineAttack.Parse("sign-flip").Apply(delta, 0);
        Assert.Equal([-1f, 2f, -0.5f], delta);
        ByzantineAttack.Parse("sign-flip:3").Apply(delta, 0);
        Assert.Equal([3f, -6f, 1.5f], delta);
    }

    [Fact]
    public void Scale_and_same_value_do_what_they_say()
    {
        float[] delta = [1, -2];
        ByzantineAttack.Parse("scale:10").Apply(delta, 0);
        Assert.Equal([10f, -20f], delta);
        ByzantineAttack.Parse("same-value:-0.5").Apply(delta, 0);
        Assert.Equal([-0.5f, -0.5f], delta);
        ByzantineAttack.Parse("SAME-VALUE").Apply(delta, 0);
        Assert.Equal([1f, 1f], delta);
    }

    [Fact]
    public void Gaussian_noise_is_reproducible_from_the_seed_and_has_the_requested_spread()
    {
        var attack = ByzantineAttack.Parse("gaussian:2");
        var a = new float[20_000];
        var b = new float[20_000];
        var c = new float[20_000];
        attack.Apply(a, 7);
        attack.Apply(b, 7);
        attack.Apply(c, 8);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        double mean = a.Average(x => (double)x);
        double std = Math.Sqrt(a.Average(x => (x - mean) * (x - mean)));
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(std, 1.95, 2.05);
    }

    [Theory]
    [InlineData("sign-flip")]
    [InlineData("sign-flip:2.5")]
    [InlineData("scale:-4")]
    [InlineData("gaussian")]
    [InlineData("gaussian:0.1")]
    [InlineData("same-value")]
    [InlineData("same-value:100")]
    public void Specs_round_trip(string spec)
    {
        var attack = ByzantineAttack.Parse(spec);
        Assert.Equal(spec, attack.Spec);
        Assert.Equal(spec, ByzantineAttack.Parse(attack.ToString()).Spec);
    }

    [Theory]
    [InlineData("label-flip", "Unknown attack")]
    [InlineData("scale", "needs a factor")]
    [InlineData("scale:abc", "not a finite number")]
    [InlineData("gaussian:0", "must be positive")]
    [InlineData("scale:NaN", "not a finite number")]
    public void Bad_specs_are_refused_with_a_clear_message(string spec, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => ByzantineAttack.Parse(spec));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal("spec", e.ParamName);
    }
}
