using FedTrain.Core.Robust;

namespace FedTrain.Aggregation.Tests;

public sealed class UpdateSpoolTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fedtrain-spool-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private UpdateSpool Fill(float[][] data, long budget)
    {
        var spool = new UpdateSpool(data[0].Length, budget, _directory);
        for (int k = 0; k < data.Length; k++)
        {
            spool.Add(data[k], k + 1);
        }

        return spool;
    }

    [Theory]
    [InlineData(0L, 0, 6)]                // everything spilled
    [InlineData(2 * 4 * 3001L, 2, 4)]     // two in memory
    [InlineData(long.MaxValue, 6, 0)]     // everything in memory
    public void Reads_back_every_update_exactly(long budget, int resident, int spilled)
    {
        var data = TestData.Random(6, 3001, seed: 9);
        using var spool = Fill(data, budget);
        Assert.Equal(resident, spool.ResidentCount);
        Assert.Equal(spilled, spool.SpilledCount);
        Assert.Equal(6, spool.Count);
        for (int k = 0; k < 6; k++)
        {
            Assert.Equal(k + 1, spool.Weight(k));
            var whole = new float[3001];
            spool.ReadRange(k, 0, whole);
            TestData.AssertBitIdentical(data[k], whole);
            var slice = new float[100];
            spool.ReadRange(k, 2901, slice);
            TestData.AssertBitIdentical(data[k].AsSpan(2901), slice);
        }
    }

    [Fact]
    public void Rules_give_the_same_bits_in_memory_and_spilled()
    {
        var data = TestData.Random(9, 20_000, seed: 12);
        using var memory = Fill(data, long.MaxValue);
        using var disk = Fill(data, 0);
        var options = new RangeOptions { RangeLength = 4096, MaxDegreeOfParallelism = 2 };
        foreach (var rule in new Action<IUpdateSet, float[]>[]
        {
            (u, d) => CoordinateMedian.Aggregate(u, d, options),
            (u, d) => TrimmedMean.Aggregate(u, 0.2, d, options),
            (u, d) => Krum.AggregateMulti(u, 2, 5, d, options: options),
            (u, d) => NormBounding.Aggregate(u, 30, d, options: options),
        })
        {
            var a = new float[20_000];
            var b = new float[20_000];
            rule(memory, a);
            rule(disk, b);
            TestData.AssertBitIdentical(a, b);
        }
    }

    [Fact]
    public void Clear_reuses_the_spool_for_the_next_round()
    {
        using var spool = Fill(TestData.Random(4, 500, seed: 1), 2 * 4 * 500);
        spool.Clear();
        Assert.Equal(0, spool.Count);
        var next = TestData.Random(3, 500, seed: 2);
        for (int k = 0; k < 3; k++)
        {
            spool.Add(next[k], 10);
        }

        Assert.Equal(2, spool.ResidentCount);
        Assert.Equal(1, spool.SpilledCount);
        var read = new float[500];
        spool.ReadRange(2, 0, read);
        TestData.AssertBitIdentical(next[2], read);
    }

    [Fact]
    public void Concurrent_reads_of_spilled_updates_are_consistent()
    {
        var data = TestData.Random(4, 50_000, seed: 3);
        using var spool = Fill(data, 0);
        Parallel.For(0, 64, i =>
        {
            int k = i % 4;
            int start = (i * 997) % 40_000;
            var slice = new float[10_000];
            spool.ReadRange(k, start, slice);
            TestData.AssertBitIdentical(data[k].AsSpan(start, 10_000), slice);
        });
    }

    [Fact]
    public void The_spill_file_leaves_nothing_behind()
    {
        var spool = Fill(TestData.Random(3, 100, seed: 4), 0);
        spool.Dispose();
        Assert.Empty(Directory.GetFiles(_directory));
        Assert.Throws<ObjectDisposedException>(() => spool.ReadRange(0, 0, new float[1]));
    }

    [Fact]
    public void Bad_updates_are_refused()
    {
        using var spool = new UpdateSpool(3, 0, _directory);
        Assert.Equal("update", Assert.Throws<ArgumentException>(() => spool.Add([1, 2], 1)).ParamName);
        Assert.Equal("update", Assert.Throws<ArgumentException>(() => spool.Add([1, float.NaN, 2], 1)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentOutOfRangeException>(() => spool.Add([1, 2, 3], 0)).ParamName);
        spool.Add([1, 2, 3], 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => spool.ReadRange(0, 2, new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => spool.ReadRange(1, 0, new float[1]));
    }
}
