using FedTrain.Core.Robust;

namespace FedTrain.Aggregation.Tests;

/// <summary>Every robust rule must give the same bits whether it sees the vector whole or in ranges, serially or in parallel.</summary>
public sealed class RangeInvarianceTests
{
    // 10 007 is prime: no range length divides it. Reductions round ranges up to multiples of 4096 internally.
    private const int Length = 10_007;
    private static readonly float[][] Data = TestData.Random(7, Length, seed: 42);
    private static readonly double[] Weights = [3, 1, 4, 1, 5, 9, 2];

    public static TheoryData<int, int> Splits => new()
    {
        { 1, 1 },
        { 7, 2 },
        { 1000, 2 },
        { 4096, 1 },
        { 5000, 2 },
        { 8192, 2 },
    };

    private static RangeOptions Whole => new() { RangeLength = Length, MaxDegreeOfParallelism = 1 };

    private static float[] Run(Action<IUpdateSet, float[], RangeOptions> rule, RangeOptions options)
    {
        var result = new float[Length];
        rule(new ArrayUpdateSet(Data, Weights), result, options);
        return result;
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void Median(int rangeLength, int degree) => Same((u, d, o) => CoordinateMedian.Aggregate(u, d, o), rangeLength, degree);

    [Theory]
    [MemberData(nameof(Splits))]
    public void Trimmed_mean(int rangeLength, int degree) => Same((u, d, o) => TrimmedMean.Aggregate(u, 0.3, d, o), rangeLength, degree);

    [Theory]
    [MemberData(nameof(Splits))]
    public void Weighted_mean(int rangeLength, int degree) => Same((u, d, o) => UpdateMean.Aggregate(u, d, options: o), rangeLength, degree);

    [Theory]
    [MemberData(nameof(Splits))]
    public void Norm_bounding(int rangeLength, int degree) => Same((u, d, o) => NormBounding.Aggregate(u, 20, d, options: o), rangeLength, degree);

    [Theory]
    [MemberData(nameof(Splits))]
    public void Multi_krum(int rangeLength, int degree)
    {
        var whole = Krum.Select(new ArrayUpdateSet(Data), 2, 4, Whole);
        var split = Krum.Select(new ArrayUpdateSet(Data), 2, 4, new RangeOptions { RangeLength = rangeLength, MaxDegreeOfParallelism = degree });
        Assert.Equal(whole.Scores, split.Scores);
        Assert.Equal(whole.Selected, split.Selected);
        Same((u, d, o) => Krum.AggregateMulti(u, 2, 4, d, options: o), rangeLength, degree);
    }

    [Fact]
    public void Norms_do_not_depend_on_the_range_length()
    {
        var whole = NormBounding.Aggregate(new ArrayUpdateSet(Data), 1, new float[Length], options: Whole);
        var split = NormBounding.Aggregate(new ArrayUpdateSet(Data), 1, new float[Length], options: new RangeOptions { RangeLength = 4096, MaxDegreeOfParallelism = 2 });
        Assert.Equal(whole.Norms, split.Norms);
    }

    [Fact]
    public void A_cancelled_token_stops_the_kernels()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var updates = new ArrayUpdateSet(Data);
        var two = new RangeOptions { RangeLength = 1000, MaxDegreeOfParallelism = 2 };
        Assert.ThrowsAny<OperationCanceledException>(() => CoordinateMedian.Aggregate(updates, new float[Length], two, cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => Krum.Select(updates, 2, 1, default, cancelled.Token));
    }

    [Fact]
    public void A_negative_range_length_is_refused()
    {
        var bad = new RangeOptions { RangeLength = -1 };
        Assert.Equal("options", Assert.Throws<ArgumentOutOfRangeException>(() => CoordinateMedian.Aggregate(new ArrayUpdateSet(Data), new float[Length], bad)).ParamName);
    }

    private static void Same(Action<IUpdateSet, float[], RangeOptions> rule, int rangeLength, int degree)
    {
        var whole = Run(rule, Whole);
        var split = Run(rule, new RangeOptions { RangeLength = rangeLength, MaxDegreeOfParallelism = degree });
        TestData.AssertBitIdentical(whole, split);
    }
}
