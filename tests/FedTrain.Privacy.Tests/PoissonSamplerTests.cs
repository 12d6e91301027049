namespace FedTrain.Privacy.Tests;

public sealed class PoissonSamplerTests
{
    [Fact]
    public void Cohort_size_is_binomial()
    {
        const int population = 1_000_000;
        const double q = 0.01;
        int[] cohort = PoissonSampler.Sample(population, q);

        // Binomial(M, q): mean Mq = 10,000, SD √(Mq(1−q)) ≈ 99.5; 5 SD either side.
        double sd = Math.Sqrt(population * q * (1 - q));
        Assert.InRange(cohort.Length, (population * q) - (5 * sd), (population * q) + (5 * sd));
        Assert.True(cohort.SequenceEqual(cohort.Distinct().Order()), "indices must be distinct and ascending");
        Assert.All(cohort, i => Assert.InRange(i, 0, population - 1));
    }

    [Fact]
    public void Every_client_is_included_with_probability_q()
    {
        const int population = 50;
        const int trials = 20_000;
        const double q = 0.3;
        var counts = new int[population];
        for (int t = 0; t < trials; t++)
        {
            foreach (int i in PoissonSampler.Sample(population, q))
            {
                counts[i]++;
            }
        }

        // Each count is Binomial(20,000, 0.3): SD ≈ 64.8. Allow 5.5 SD so 50 clients together rarely fail.
        double sd = Math.Sqrt(trials * q * (1 - q));
        Assert.All(counts, c => Assert.InRange(c, (trials * q) - (5.5 * sd), (trials * q) + (5.5 * sd)));
    }

    [Fact]
    public void Rate_one_takes_everybody_and_an_empty_population_nobody()
    {
        Assert.Equal(Enumerable.Range(0, 7), PoissonSampler.Sample(7, 1));
        Assert.Empty(PoissonSampler.Sample(0, 0.5));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Refuses_rates_outside_zero_one(double rate)
    {
        Assert.Equal("rate", Assert.ThrowsAny<ArgumentException>(() => PoissonSampler.Sample(10, rate)).ParamName);
    }

    [Fact]
    public void Refuses_a_negative_population()
    {
        Assert.Equal("population", Assert.ThrowsAny<ArgumentException>(() => PoissonSampler.Sample(-1, 0.5)).ParamName);
    }
}
