using System.Runtime.InteropServices;
using FedTrain.Core.Aggregation;

namespace FedTrain.Core.Tests;

/// <summary>The batched, range-major fold and the in-place finish give the same bits as the plain one-by-one path.</summary>
public sealed class WeightedSumBatchTests : IDisposable
{
    private const int Length = 1_200_007; // above the parallel threshold, not a multiple of any range size

    private readonly string _directory = Directory.CreateTempSubdirectory("fedtrain-sum-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Batched_fold_from_arrays_and_spool_files_equals_adding_one_by_one_bit_for_bit()
    {
        var updates = Enumerable.Range(0, 5).Select(Vector).ToArray();
        double[] weights = [3, 1000, 17.5, 250, 9];

        var oneByOne = new WeightedSum(Length);
        for (int k = 0; k < updates.Length; k++)
        {
            oneByOne.Add(updates[k], weights[k]);
        }

        var files = updates.Select((u, k) => SpooledUpdate.Open(Write(k, u), Length)).ToArray();
        try
        {
            var batched = new WeightedSum(Length);
            batched.AddBatch([(new ArrayUpdate(updates[0]), weights[0]), (files[1], weights[1]), (new ArrayUpdate(updates[2]), weights[2])]);
            batched.AddBatch([(files[3], weights[3]), (files[4], weights[4])]);

            Assert.Equal(5, batched.Count);
            Assert.Equal(weights.Sum(), batched.TotalWeight);
            Assert.True(MemoryMarshal.AsBytes(oneByOne.Sum).SequenceEqual(MemoryMarshal.AsBytes(batched.Sum)));
        }
        finally
        {
            foreach (var file in files)
            {
                file.Dispose();
            }
        }
    }

    [Fact]
    public void In_place_mean_detaches_the_same_model_as_apply_mean_and_the_sum_continues_on_an_attached_buffer()
    {
        var model = Vector(7);
        var sum = new WeightedSum(Length);
        sum.Add(Vector(8), 40);
        sum.Add(Vector(9), 60);
        var expected = new float[Length];
        sum.ApplyMean(model, expected);

        sum.ApplyMeanInPlace(model);
        var result = sum.Detach();
        Assert.True(sum.IsDetached);
        Assert.True(MemoryMarshal.AsBytes(expected.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(result.AsSpan())));

        sum.Reset(); // a detached sum stays detached and allocates nothing
        Assert.True(sum.IsDetached);
        Assert.Throws<ArgumentException>(() => sum.Attach(new float[3]));
        sum.Attach(model);
        Assert.False(sum.IsDetached);
        Assert.All(sum.Sum.ToArray(), v => Assert.Equal(0f, v));
        sum.Add(Vector(10), 1);
        Assert.Equal(1, sum.Count);
    }

    private static float[] Vector(int seed)
    {
        var rng = new Random(seed);
        var values = new float[Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(rng.NextDouble() - 0.5) * 0.02f;
        }

        return values;
    }

    private string Write(int index, float[] values)
    {
        string path = Path.Combine(_directory, $"u{index}.update");
        File.WriteAllBytes(path, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        return path;
    }
}
