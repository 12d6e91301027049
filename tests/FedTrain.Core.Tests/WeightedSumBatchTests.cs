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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Folding_the_last_batch_with_the_mean_gives_the_bits_of_adding_then_applying(bool earlierBatch)
    {
        var model = Vector(20);
        var updates = Enumerable.Range(21, 4).Select(Vector).ToArray();
        double[] weights = [12, 700, 3.5, 41];

        // −0 in the model where every update is −0: only a fold that starts from +0 keeps the sum's bits there.
        foreach (int i in new[] { 0, 5, Length - 1 })
        {
            model[i] = -0f;
            foreach (var update in updates)
            {
                update[i] = -0f;
            }
        }

        var files = updates.Select((u, k) => SpooledUpdate.Open(Write(k, u), Length)).ToArray();
        try
        {
            var last = updates.Select((u, k) => (k % 2 == 0 ? (IUpdateSource)new ArrayUpdate(u) : files[k], weights[k])).ToList();
            var first = earlierBatch ? last.GetRange(0, 2) : [];
            last = earlierBatch ? last.GetRange(2, 2) : last;

            var plain = new WeightedSum(Length);
            var fused = new WeightedSum(Length);
            var inPlace = new WeightedSum(Length);
            foreach (var sum in new[] { plain, fused, inPlace })
            {
                if (first.Count > 0)
                {
                    sum.AddBatch(first);
                }
            }

            plain.AddBatch(last);
            var expected = new float[Length];
            plain.ApplyMean(model, expected);

            var destination = new float[Length];
            fused.AddBatchAndApplyMean(last, model, destination);
            inPlace.AddBatchAndApplyMeanInPlace(last, model);

            Assert.Equal(4, fused.Count);
            Assert.Equal(plain.TotalWeight, fused.TotalWeight);
            Assert.Equal(0, BitConverter.SingleToInt32Bits(expected[0]));
            Assert.True(MemoryMarshal.AsBytes(expected.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(destination.AsSpan())));
            Assert.True(MemoryMarshal.AsBytes(expected.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(inPlace.Detach().AsSpan())));
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
    public void Fold_kernels_give_the_bits_of_the_scalar_loop_and_of_TensorPrimitives_in_place_too()
    {
        const int length = 1003; // vector steps, single vectors and a scalar tail
        var x = Vector(30).AsSpan(0, length).ToArray();
        var y = Vector(31).AsSpan(0, length).ToArray();
        x[3] = -0f;
        x[length - 1] = -0f;
        const float w = 0.37f;

        var scalar = new float[length];
        var zeroScalar = new float[length];
        for (int i = 0; i < length; i++)
        {
            scalar[i] = (x[i] * w) + y[i];
            zeroScalar[i] = (x[i] * w) + 0f;
        }

        var library = new float[length];
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<float>(x, w, y, library);
        var kernel = new float[length];
        FoldKernels.MultiplyAdd(x, w, y, kernel);
        var inPlace = y.ToArray();
        FoldKernels.MultiplyAdd(x, w, inPlace, inPlace);
        var zero = new float[length];
        FoldKernels.MultiplyAddZero(x, w, zero);

        Assert.True(MemoryMarshal.AsBytes(scalar.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(library.AsSpan())));
        Assert.True(MemoryMarshal.AsBytes(scalar.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(kernel.AsSpan())));
        Assert.True(MemoryMarshal.AsBytes(scalar.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(inPlace.AsSpan())));
        Assert.True(MemoryMarshal.AsBytes(zeroScalar.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(zero.AsSpan())));
        Assert.Equal(0, BitConverter.SingleToInt32Bits(zero[3])); // −0 · w + 0 is +0
        Assert.Equal(0, BitConverter.SingleToInt32Bits(zero[length - 1]));
        Assert.Throws<ArgumentException>(() => FoldKernels.MultiplyAdd(x, w, y.AsSpan(1), kernel));
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
