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

    [Fact]
    public void Multi_update_and_non_temporal_kernels_give_the_bits_of_one_update_at_a_time_in_place_and_from_zero()
    {
        const int length = 1003; // vector steps, single vectors and a scalar tail
        var x = Enumerable.Range(40, 4).Select(seed => Vector(seed).AsSpan(0, length + 1).ToArray()).ToArray();
        var y = Vector(44).AsSpan(0, length + 1).ToArray();
        float[] w = [0.37f, 1000f, 3.5e-4f, 17f];

        // −0 everywhere in the four updates at a peeled, a vectorised and a tail position: only a fold from +0 gives +0.
        foreach (int i in new[] { 2, 100, 513, length - 1 })
        {
            foreach (var update in x)
            {
                update[i] = -0f;
            }
        }

        // Offset 0 and 1: an aligned and a misaligned start, so the peel and the vector loop both run.
        foreach (int offset in new[] { 0, 1 })
        {
            var xs = x.Select(u => u.AsSpan(offset, length).ToArray()).ToArray();
            var ys = y.AsSpan(offset, length).ToArray();

            var two = ys.ToArray();
            var four = ys.ToArray();
            FoldKernels.MultiplyAdd(xs[0], w[0], two, two);
            FoldKernels.MultiplyAdd(xs[1], w[1], two, two);
            FoldKernels.MultiplyAdd(xs[0], w[0], four, four);
            FoldKernels.MultiplyAdd(xs[1], w[1], four, four);
            FoldKernels.MultiplyAdd(xs[2], w[2], four, four);
            FoldKernels.MultiplyAdd(xs[3], w[3], four, four);

            var twoZero = new float[length];
            var fourZero = new float[length];
            FoldKernels.MultiplyAddZero(xs[0], w[0], twoZero);
            FoldKernels.MultiplyAdd(xs[1], w[1], twoZero, twoZero);
            FoldKernels.MultiplyAddZero(xs[0], w[0], fourZero);
            FoldKernels.MultiplyAdd(xs[1], w[1], fourZero, fourZero);
            FoldKernels.MultiplyAdd(xs[2], w[2], fourZero, fourZero);
            FoldKernels.MultiplyAdd(xs[3], w[3], fourZero, fourZero);

            var twoInto = new float[length];
            FoldKernels.MultiplyAdd2(xs[0], w[0], xs[1], w[1], ys, twoInto);
            var twoInPlace = ys.ToArray();
            FoldKernels.MultiplyAdd2(xs[0], w[0], xs[1], w[1], twoInPlace, twoInPlace);
            var fourInto = new float[length];
            FoldKernels.MultiplyAdd4(xs[0], w[0], xs[1], w[1], xs[2], w[2], xs[3], w[3], ys, fourInto);
            var fourInPlace = ys.ToArray();
            FoldKernels.MultiplyAdd4(xs[0], w[0], xs[1], w[1], xs[2], w[2], xs[3], w[3], fourInPlace, fourInPlace);
            var twoFromZero = Enumerable.Repeat(float.NaN, length).ToArray(); // never read
            FoldKernels.MultiplyAdd2Zero(xs[0], w[0], xs[1], w[1], twoFromZero);
            var fourFromZero = Enumerable.Repeat(float.NaN, length).ToArray();
            FoldKernels.MultiplyAdd4Zero(xs[0], w[0], xs[1], w[1], xs[2], w[2], xs[3], w[3], fourFromZero);

            var one = ys.ToArray();
            FoldKernels.MultiplyAdd(xs[0], w[0], one, one);
            var nonTemporal = new float[length];
            FoldKernels.MultiplyAddNonTemporal(xs[0], w[0], ys, nonTemporal.AsSpan());
            var nonTemporalInPlace = xs[0].ToArray();
            FoldKernels.MultiplyAddNonTemporal(nonTemporalInPlace, w[0], ys, nonTemporalInPlace);

            AssertBits(one, nonTemporal);
            AssertBits(one, nonTemporalInPlace);
            AssertBits(two, twoInto);
            AssertBits(two, twoInPlace);
            AssertBits(four, fourInto);
            AssertBits(four, fourInPlace);
            AssertBits(twoZero, twoFromZero);
            AssertBits(fourZero, fourFromZero);
            foreach (int i in new[] { 100, 513 })
            {
                Assert.Equal(0, BitConverter.SingleToInt32Bits(fourFromZero[i - offset])); // −0 · w + … + 0 is +0
            }
        }

        Assert.Throws<ArgumentException>(() => FoldKernels.MultiplyAdd2(x[0], w[0], x[1].AsSpan(1), w[1], y, new float[length + 1]));
        Assert.Throws<ArgumentException>(() => FoldKernels.MultiplyAdd4Zero(x[0], w[0], x[1], w[1], x[2], w[2], x[3].AsSpan(1), w[3], new float[length + 1]));
    }

    [Theory]
    [InlineData(7)] // a group of four, one of two, one update alone
    [InlineData(11)] // two groups of four, then two and one
    public void Folding_updates_in_groups_gives_the_bits_of_adding_them_one_by_one(int count)
    {
        var model = Vector(60);
        var updates = Enumerable.Range(61, count).Select(Vector).ToArray();
        var weights = Enumerable.Range(0, count).Select(k => 1.5 + (k * 97.0)).ToArray();
        var files = updates.Select((u, k) => SpooledUpdate.Open(Write(k, u), Length)).ToArray();
        try
        {
            var oneByOne = new WeightedSum(Length);
            for (int k = 0; k < count; k++)
            {
                oneByOne.Add(updates[k], weights[k]);
            }

            var expected = new float[Length];
            oneByOne.ApplyMean(model, expected);

            // Arrays and spool files mixed within each group; a batch, then the last batch with the mean.
            var sources = updates.Select((u, k) => (k % 3 == 1 ? (IUpdateSource)files[k] : new ArrayUpdate(u), weights[k])).ToList();
            var batched = new WeightedSum(Length);
            batched.AddBatch(sources);
            AssertBits(oneByOne.Sum.ToArray(), batched.Sum.ToArray());

            var fused = new WeightedSum(Length);
            fused.AddBatch(sources.GetRange(0, 5));
            var destination = new float[Length];
            fused.AddBatchAndApplyMean(sources.GetRange(5, count - 5), model, destination);
            AssertBits(expected, destination);

            var fromZero = new WeightedSum(Length);
            fromZero.AddBatchAndApplyMean(sources, model, destination);
            AssertBits(expected, destination);
        }
        finally
        {
            foreach (var file in files)
            {
                file.Dispose();
            }
        }
    }

    private static void AssertBits(float[] expected, float[] actual) =>
        Assert.True(MemoryMarshal.AsBytes(expected.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(actual.AsSpan())));

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
