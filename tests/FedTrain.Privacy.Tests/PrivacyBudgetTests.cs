namespace FedTrain.Privacy.Tests;

public sealed class PrivacyBudgetTests
{
    [Fact]
    public void Affords_rounds_until_the_next_would_exceed_the_target()
    {
        var budget = new PrivacyBudget(targetEpsilon: 2.0, delta: 1e-5);
        const double q = 0.05;
        const double z = 1.0;
        int affordable = budget.AffordableRounds(q, z);
        Assert.True(affordable > 0);

        for (int round = 0; round < affordable; round++)
        {
            Assert.True(budget.CanAfford(q, z));
            budget.Commit(q, z);
        }

        Assert.False(budget.CanAfford(q, z));
        Assert.True(budget.SpentEpsilon <= 2.0);
        Assert.True(budget.EpsilonAfter(q, z) > 2.0);
        Assert.Equal(affordable, budget.Rounds);

        // The spend is exactly what a fresh accountant says for the same history.
        Assert.Equal(NoiseCalibration.Epsilon(q, z, affordable, 1e-5), budget.SpentEpsilon, 12);
        Assert.Equal([new SgmEvent(q, z, affordable)], budget.History);
    }

    [Fact]
    public void Commit_records_a_release_even_past_the_target()
    {
        var budget = new PrivacyBudget(0.1, 1e-5);
        Assert.False(budget.CanAfford(0.5, 0.5));
        double spent = budget.Commit(0.5, 0.5);
        Assert.True(spent > 0.1);
        Assert.Equal(spent, budget.SpentEpsilon);
        Assert.Equal(0, budget.AffordableRounds(0.5, 0.5));
    }

    [Fact]
    public void Affordable_rounds_stops_at_the_limit()
    {
        var budget = new PrivacyBudget(100, 1e-5);
        Assert.Equal(10, budget.AffordableRounds(0.001, 5, limit: 10));
    }

    [Theory]
    [InlineData(0, 1e-5, "targetEpsilon")]
    [InlineData(-1, 1e-5, "targetEpsilon")]
    [InlineData(double.NaN, 1e-5, "targetEpsilon")]
    [InlineData(double.PositiveInfinity, 1e-5, "targetEpsilon")]
    [InlineData(1, 0, "delta")]
    [InlineData(1, -1e-5, "delta")]
    [InlineData(1, 1, "delta")]
    [InlineData(1, double.NaN, "delta")]
    public void Refuses_bad_targets_naming_them(double epsilon, double delta, string parameter)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new PrivacyBudget(epsilon, delta));
        Assert.Equal(parameter, e.ParamName);
        Assert.Contains(parameter, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1, "samplingRate")]
    [InlineData(1.5, 1, "samplingRate")]
    [InlineData(double.NaN, 1, "samplingRate")]
    [InlineData(0.1, 0, "noiseMultiplier")]
    [InlineData(0.1, -2, "noiseMultiplier")]
    [InlineData(0.1, double.NaN, "noiseMultiplier")]
    [InlineData(0.1, double.PositiveInfinity, "noiseMultiplier")]
    public void Refuses_bad_rounds_naming_the_parameter(double q, double z, string parameter)
    {
        var budget = new PrivacyBudget(1, 1e-5);
        Assert.Equal(parameter, Assert.ThrowsAny<ArgumentException>(() => budget.CanAfford(q, z)).ParamName);
        Assert.Equal(parameter, Assert.ThrowsAny<ArgumentException>(() => budget.Commit(q, z)).ParamName);
        Assert.Equal(0, budget.Rounds);
    }
}
