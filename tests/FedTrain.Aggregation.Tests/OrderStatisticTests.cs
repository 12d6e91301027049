using FedTrain.Core.Robust;

namespace FedTrain.Aggregation.Tests;

public sealed class OrderStatisticTests
{
    [Fact]
    public void Median_of_an_odd_count_is_the_middle_value()
    {
        // Columns: [5, 1, 4, 2, 3] → 3;  [−1, 100, 0, 0.5, −2] → 0;  all 7 → 7.
        var updates = new ArrayUpdateSet([[5, -1, 7], [1, 100, 7], [4, 0, 7], [2, 0.5f, 7], [3, -2, 7]]);
        var result = new float[3];
        CoordinateMedian.Aggregate(updates, result);
        Assert.Equal([3f, 0f, 7f], result);
    }

    [Fact]
    public void Median_of_an_even_count_averages_the_two_middle_values()
    {
        // Columns: [1, 2, 3, 4] → 2.5;  [10, −10, 0, 0] → 0;  [1, 1, 100, 2] → 1.5.
        var updates = new ArrayUpdateSet([[1, 10, 1], [2, -10, 1], [3, 0, 100], [4, 0, 2]]);
        var result = new float[3];
        CoordinateMedian.Aggregate(updates, result);
        Assert.Equal([2.5f, 0f, 1.5f], result);
    }

    [Fact]
    public void Median_ignores_weights()
    {
        var updates = new ArrayUpdateSet([[0], [1], [2]], [1000, 1, 1]);
        var result = new float[1];
        CoordinateMedian.Aggregate(updates, result);
        Assert.Equal(1f, result[0]);
    }

    public static TheoryData<int> Counts()
    {
        // Every n up to 40 exercises the pruned sorting network for non-powers of two; 600 is past the network.
        var counts = new TheoryData<int>();
        foreach (int n in Enumerable.Range(1, 40).Concat([63, 64, 65, 100, 512, 600]))
        {
            counts.Add(n);
        }

        return counts;
    }

    [Theory]
    [MemberData(nameof(Counts))]
    public void Median_matches_a_sorting_reference(int n)
    {
        var data = TestData.Random(n, 37, seed: n);
        var result = new float[37];
        CoordinateMedian.Aggregate(new ArrayUpdateSet(data), result);
        for (int j = 0; j < 37; j++)
        {
            var column = data.Select(u => u[j]).Order().ToArray();
            float expected = n % 2 == 1 ? column[n / 2] : (column[(n / 2) - 1] + column[n / 2]) * 0.5f;
            Assert.Equal(expected, result[j]);
        }
    }

    [Fact]
    public void Trimmed_mean_drops_the_extremes_of_each_coordinate()
    {
        // n = 5, β = 0.2 → drop 1 each side. [5, 1, 4, 2, 3] → (2 + 3 + 4)/3;  [−1, 100, 0, 0.5, −2] → (−1 + 0 + 0.5)/3.
        var updates = new ArrayUpdateSet([[5, -1], [1, 100], [4, 0], [2, 0.5f], [3, -2]]);
        var result = new float[2];
        TrimmedMean.Aggregate(updates, 0.2, result);
        TestData.AssertClose([3, -0.5 / 3], result, 1e-7);
    }

    [Fact]
    public void Trimmed_mean_with_beta_zero_is_the_unweighted_mean()
    {
        var updates = new ArrayUpdateSet([[1, 2], [3, 4], [8, -6]], [5, 1, 1]);
        var result = new float[2];
        TrimmedMean.Aggregate(updates, 0, result);
        TestData.AssertClose([4, 0], result, 1e-7);
    }

    [Theory]
    [InlineData(10, 0.25)] // drop 2 each side
    [InlineData(3, 0.49)]  // drop 1 each side: the median
    [InlineData(7, 0.1)]   // ⌊0.7⌋ = 0: nothing dropped
    [InlineData(33, 0.3)]
    [InlineData(601, 0.2)] // beyond the vector network
    public void Trimmed_mean_matches_a_sorting_reference(int n, double beta)
    {
        var data = TestData.Random(n, 37, seed: 100 + n);
        var result = new float[37];
        TrimmedMean.Aggregate(new ArrayUpdateSet(data), beta, result);
        int trim = (int)Math.Floor(beta * n);
        Assert.Equal(trim, TrimmedMean.TrimCount(n, beta));
        for (int j = 0; j < 37; j++)
        {
            // Same float32 arithmetic as the kernel: sum the kept values in ascending order, then divide.
            var kept = data.Select(u => u[j]).Order().Skip(trim).Take(n - (2 * trim)).ToArray();
            float sum = kept[0];
            for (int i = 1; i < kept.Length; i++)
            {
                sum += kept[i];
            }

            Assert.Equal(sum / kept.Length, result[j]);
        }
    }

    [Fact]
    public void Trimmed_mean_refuses_beta_outside_zero_to_a_half()
    {
        var updates = new ArrayUpdateSet([[1], [2]]);
        Assert.Equal("beta", Assert.Throws<ArgumentOutOfRangeException>(() => TrimmedMean.Aggregate(updates, 0.5, new float[1])).ParamName);
        Assert.Equal("beta", Assert.Throws<ArgumentOutOfRangeException>(() => TrimmedMean.Aggregate(updates, -0.1, new float[1])).ParamName);
    }

    [Fact]
    public void Empty_sets_and_wrong_destinations_are_refused()
    {
        Assert.Equal("updates", Assert.Throws<ArgumentException>(() => CoordinateMedian.Aggregate(new ArrayUpdateSet([]), [])).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => CoordinateMedian.Aggregate(new ArrayUpdateSet([[1, 2]]), new float[3])).ParamName);
    }
}
