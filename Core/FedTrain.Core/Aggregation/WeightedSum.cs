using System.Buffers;
using System.Numerics.Tensors;

namespace FedTrain.Core.Aggregation;

/// <summary>
/// A running weighted sum of flat float32 updates: each update is folded in as it arrives, so memory is one
/// model-sized buffer however many workers answer. The buffer is allocated once and reused across rounds
/// (fresh pages are expensive on small VMs). Not thread-safe: callers serialise <see cref="Add(ReadOnlySpan{float}, double)"/>;
/// each add itself runs in parallel over disjoint parameter ranges.
/// </summary>
/// <remarks>
/// Accumulates in float32, element by element in arrival order: sum ← (float)w · Δ + sum, unfused, so the result
/// equals the sequential scalar loop bit for bit whatever the range split. Against a float64 sum the relative error
/// stays below 1e-6 per element for cohorts of hundreds of updates with weights of a few thousand examples; see
/// docs/aggregation-math.md.
/// </remarks>
public sealed class WeightedSum
{
    // A range of the sum and of each of a group's four updates stays in a core's L2 cache while a batch is folded
    // into it. Updates in memory fold fastest in 64 KiB ranges; updates read from files in 256 KiB ranges, a quarter
    // of the read calls (docs/performance.md, "aggregate").
    private const int ArrayRangeSize = 1 << 14;
    private const int FileRangeSize = 1 << 16;

    private readonly long _length;
    private float[] _sum;

    public WeightedSum(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _length = length;
        _sum = new float[length];
    }

    public long Length => _length;

    /// <summary>Whether the buffer was handed out by <see cref="Detach"/> and no other attached yet.</summary>
    public bool IsDetached { get; private set; }

    /// <summary>Total weight added since the last <see cref="Reset"/>.</summary>
    public double TotalWeight { get; private set; }

    /// <summary>Number of updates added since the last <see cref="Reset"/>.</summary>
    public int Count { get; private set; }

    /// <summary>The running sum (read-only view), for tests and diagnostics.</summary>
    public ReadOnlySpan<float> Sum => _sum;

    /// <summary>Empties the sum for the next round; a detached sum stays detached until <see cref="Attach"/>.</summary>
    public void Reset()
    {
        Array.Clear(_sum);
        TotalWeight = 0;
        Count = 0;
    }

    /// <summary>
    /// Hands the buffer (with whatever it holds, e.g. the result of <see cref="ApplyMeanInPlace"/>) to the caller,
    /// who owns it from now on. The sum holds nothing until <see cref="Attach"/> gives it a buffer again.
    /// </summary>
    public float[] Detach()
    {
        ObjectDisposedException.ThrowIf(IsDetached, this);
        var buffer = _sum;
        _sum = [];
        IsDetached = true;
        TotalWeight = 0;
        Count = 0;
        return buffer;
    }

    /// <summary>Gives a detached sum a buffer of <see cref="Length"/> floats to continue with (cleared here).</summary>
    public void Attach(float[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.LongLength != _length)
        {
            throw new ArgumentException($"Buffer has {buffer.LongLength} elements, the sum {_length}.", nameof(buffer));
        }

        _sum = buffer;
        IsDetached = false;
        Reset();
    }

    /// <summary>sum += weight · update.</summary>
    public void Add(ReadOnlySpan<float> update, double weight)
    {
        CheckLength(update.Length);
        float w = CheckWeight(weight);
        unsafe
        {
            fixed (float* source = update)
            {
                var from = (nint)source;
                ParameterRanges.For(update.Length, ParameterRanges.DefaultRangeSize, (start, count) =>
                {
                    var slice = new ReadOnlySpan<float>((float*)from + start, count);
                    var target = _sum.AsSpan((int)start, count);
                    FoldKernels.MultiplyAdd(slice, w, target, target);
                });
            }
        }

        TotalWeight += weight;
        Count++;
    }

    /// <summary>
    /// sum += weight · update, reading the update range by range into pooled buffers: the update never needs to be
    /// in this process's memory as a whole.
    /// </summary>
    public void Add(IUpdateSource update, double weight) => AddBatch([(update, weight)]);

    /// <summary>
    /// Adds another sum of updates, made elsewhere the same way (another coordinator node's share of a round):
    /// sum += partial, with its total weight and its count of updates. Reads it range by range like an update.
    /// </summary>
    /// <param name="partial">Σ wᵢ·Δᵢ over the other sum's updates.</param>
    /// <param name="totalWeight">Σ wᵢ.</param>
    /// <param name="count">How many updates it holds (at least one).</param>
    public void AddPartial(IUpdateSource partial, double totalWeight, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        CheckWeight(totalWeight);
        // Weight 1 multiplies exactly: the partial is added as it is.
        AddBatch([(partial, 1.0)]);
        TotalWeight += totalWeight - 1.0;
        Count += count - 1;
    }

    /// <summary>
    /// Folds several updates at once, range-major: each range of the sum stays in cache while every update's range
    /// is added to it, so memory traffic is the updates' bytes plus one pass over the sum, not one per update.
    /// Element by element the additions happen in list order, so the result equals adding them one by one.
    /// </summary>
    public void AddBatch(IReadOnlyList<(IUpdateSource Update, double Weight)> updates) => Fold(updates, FoldEnd.Sum, 0, 0);

    /// <summary>
    /// Folds the last updates of a round and writes <paramref name="model"/> + sum / total weight into
    /// <paramref name="destination"/> in the same pass over each range: the same bits as <see cref="AddBatch"/> then
    /// <see cref="ApplyMean"/>, without writing the sum back and reading it again (and, on a sum that held nothing,
    /// without reading it at all). <paramref name="destination"/> is written with non-temporal stores, never read. The
    /// sum is spent afterwards, as after <see cref="MeanInPlace"/>: call <see cref="Reset"/> before adding again.
    /// </summary>
    public void AddBatchAndApplyMean(IReadOnlyList<(IUpdateSource Update, double Weight)> updates, ReadOnlySpan<float> model, Span<float> destination)
    {
        CheckLength(model.Length);
        CheckLength(destination.Length);
        unsafe
        {
            fixed (float* from = model)
            fixed (float* to = destination)
            {
                Fold(updates, FoldEnd.MeanInto, (nint)from, (nint)to);
            }
        }
    }

    /// <summary>
    /// Folds the last updates of a round and turns the sum into <paramref name="model"/> + sum / total weight in place,
    /// range by range in one pass: the same bits as <see cref="AddBatch"/> then <see cref="ApplyMeanInPlace"/>, ready
    /// to <see cref="Detach"/>.
    /// </summary>
    public void AddBatchAndApplyMeanInPlace(IReadOnlyList<(IUpdateSource Update, double Weight)> updates, ReadOnlySpan<float> model)
    {
        CheckLength(model.Length);
        unsafe
        {
            fixed (float* from = model)
            {
                Fold(updates, FoldEnd.MeanInPlace, (nint)from, 0);
            }
        }
    }

    /// <summary>Writes sum / total weight into <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidOperationException">Nothing was added.</exception>
    public void WriteMean(Span<float> destination)
    {
        CheckHasUpdates();
        if (destination.Length != _sum.Length)
        {
            throw new ArgumentException($"Destination has {destination.Length} elements, the model {_sum.Length}.", nameof(destination));
        }

        TensorPrimitives.Multiply(_sum, (float)(1.0 / TotalWeight), destination);
    }

    /// <summary>
    /// destination = model + sum / total weight, in one pass and without a mean buffer (FedAvg's w + Δ̄).
    /// </summary>
    public void ApplyMean(ReadOnlySpan<float> model, Span<float> destination)
    {
        CheckHasUpdates();
        CheckLength(model.Length);
        CheckLength(destination.Length);
        float scale = (float)(1.0 / TotalWeight);
        unsafe
        {
            fixed (float* from = model)
            fixed (float* to = destination)
            {
                var source = (nint)from;
                var target = (nint)to;
                ParameterRanges.For(model.Length, ParameterRanges.DefaultRangeSize, (start, count) =>
                    FoldKernels.MultiplyAdd(
                        _sum.AsSpan((int)start, count), scale, new ReadOnlySpan<float>((float*)source + start, count),
                        new Span<float>((float*)target + start, count)));
            }
        }
    }

    /// <summary>
    /// sum ← model + sum / total weight, in place: the new model without a buffer of its own, ready to <see cref="Detach"/>.
    /// </summary>
    public void ApplyMeanInPlace(ReadOnlySpan<float> model)
    {
        CheckHasUpdates();
        CheckLength(model.Length);
        float scale = (float)(1.0 / TotalWeight);
        unsafe
        {
            fixed (float* from = model)
            {
                var source = (nint)from;
                ParameterRanges.For(model.Length, ParameterRanges.DefaultRangeSize, (start, count) =>
                {
                    var target = _sum.AsSpan((int)start, count);
                    FoldKernels.MultiplyAdd(target, scale, new ReadOnlySpan<float>((float*)source + start, count), target);
                });
            }
        }
    }

    /// <summary>
    /// Turns the sum into the mean in place and returns it, sparing a second model-sized buffer. The sum is gone
    /// afterwards: call <see cref="Reset"/> before adding again.
    /// </summary>
    public ReadOnlySpan<float> MeanInPlace()
    {
        CheckHasUpdates();
        TensorPrimitives.Multiply(_sum, (float)(1.0 / TotalWeight), _sum);
        return _sum;
    }

    // The range-major fold, ending each range with the sum (AddBatch) or with model + sum / W written to the
    // destination or into the sum: while a range is in cache, not in a second pass over memory.
    private void Fold(IReadOnlyList<(IUpdateSource Update, double Weight)> updates, FoldEnd end, nint model, nint destination)
    {
        ArgumentNullException.ThrowIfNull(updates);
        var weights = new float[updates.Count];
        for (int k = 0; k < updates.Count; k++)
        {
            ArgumentNullException.ThrowIfNull(updates[k].Update);
            CheckLength(updates[k].Update.Length);
            weights[k] = CheckWeight(updates[k].Weight);
        }

        if (end != FoldEnd.Sum && Count + updates.Count == 0)
        {
            throw new InvalidOperationException("No update was added; there is no mean.");
        }

        // A sum that holds nothing is all +0 (cleared): the fold starts from +0 without reading it.
        bool fromZero = Count == 0;
        double total = TotalWeight;
        foreach (var (_, weight) in updates)
        {
            total += weight;
        }

        float scale = (float)(1.0 / total);
        int rangeSize = updates.All(u => u.Update is ArrayUpdate) ? ArrayRangeSize : FileRangeSize;
        ParameterRanges.For(_sum.LongLength, rangeSize, (start, count) =>
        {
            var sum = _sum.AsSpan((int)start, count);
            Span<float> target;
            unsafe
            {
                target = end == FoldEnd.MeanInto ? new Span<float>((float*)destination + start, count) : sum;
            }

            // One pooled buffer per update of a group that is read from a file (up to four), returned below.
            float[]?[]? buffers = null;

            // Ending with the mean, the updates are summed in a pooled range that stays in cache, and only the last
            // pass writes the target, with non-temporal stores: the target's lines are never read in (on a cleared
            // sum nothing of the target is read at all).
            float[]? scratch = end != FoldEnd.Sum && updates.Count > 0 ? ArrayPool<float>.Shared.Rent(count) : null;
            try
            {
                var accumulator = scratch is null ? target : scratch.AsSpan(0, count);

                // The first group starts from +0 on a cleared sum, else from the sum; later groups continue from the
                // accumulator. Groups of four, then two, then one: each element's sum stays in a register across a
                // group's updates, added in list order, so the bits equal adding one update at a time.
                bool zero = fromZero;
                ReadOnlySpan<float> addend = sum;
                for (int k = 0; k < updates.Count;)
                {
                    int group = updates.Count - k >= 4 ? 4 : updates.Count - k >= 2 ? 2 : 1;
                    var x0 = Slice(updates, k, start, count, ref buffers, 0);
                    if (group == 1)
                    {
                        if (zero)
                        {
                            FoldKernels.MultiplyAddZero(x0, weights[k], accumulator);
                        }
                        else
                        {
                            FoldKernels.MultiplyAdd(x0, weights[k], addend, accumulator);
                        }
                    }
                    else if (group == 2)
                    {
                        var x1 = Slice(updates, k + 1, start, count, ref buffers, 1);
                        if (zero)
                        {
                            FoldKernels.MultiplyAdd2Zero(x0, weights[k], x1, weights[k + 1], accumulator);
                        }
                        else
                        {
                            FoldKernels.MultiplyAdd2(x0, weights[k], x1, weights[k + 1], addend, accumulator);
                        }
                    }
                    else
                    {
                        var x1 = Slice(updates, k + 1, start, count, ref buffers, 1);
                        var x2 = Slice(updates, k + 2, start, count, ref buffers, 2);
                        var x3 = Slice(updates, k + 3, start, count, ref buffers, 3);
                        if (zero)
                        {
                            FoldKernels.MultiplyAdd4Zero(x0, weights[k], x1, weights[k + 1], x2, weights[k + 2], x3, weights[k + 3], accumulator);
                        }
                        else
                        {
                            FoldKernels.MultiplyAdd4(x0, weights[k], x1, weights[k + 1], x2, weights[k + 2], x3, weights[k + 3], addend, accumulator);
                        }
                    }

                    k += group;
                    zero = false;
                    addend = accumulator;
                }

                if (end != FoldEnd.Sum)
                {
                    // With no update to fold, the mean comes from the sum itself.
                    ReadOnlySpan<float> folded = scratch is null ? sum : accumulator;
                    unsafe
                    {
                        FoldKernels.MultiplyAddNonTemporal(folded, scale, new ReadOnlySpan<float>((float*)model + start, count), target);
                    }
                }
            }
            finally
            {
                if (scratch is not null)
                {
                    ArrayPool<float>.Shared.Return(scratch);
                }

                foreach (var buffer in buffers ?? [])
                {
                    if (buffer is not null)
                    {
                        ArrayPool<float>.Shared.Return(buffer);
                    }
                }
            }
        });

        foreach (var (_, weight) in updates)
        {
            TotalWeight += weight;
            Count++;
        }
    }

    // The range [start, start + count) of update k: a view of an array, or read into the slot's pooled buffer.
    private static ReadOnlySpan<float> Slice(IReadOnlyList<(IUpdateSource Update, double Weight)> updates, int k, long start, int count, ref float[]?[]? buffers, int slot)
    {
        var update = updates[k].Update;
        if (update is ArrayUpdate array)
        {
            return array.Slice(start, count);
        }

        buffers ??= new float[]?[4];
        var buffer = buffers[slot] ??= ArrayPool<float>.Shared.Rent(count);
        update.ReadRange(start, buffer.AsSpan(0, count));
        return buffer.AsSpan(0, count);
    }

    private void CheckHasUpdates()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("No update was added; there is no mean.");
        }
    }

    private void CheckLength(long length)
    {
        if (length != _sum.LongLength)
        {
            throw new ArgumentException($"Update has {length} elements, the model {_sum.LongLength}.", nameof(length));
        }
    }

    private static float CheckWeight(double weight) => double.IsFinite(weight) && weight > 0
        ? (float)weight
        : throw new ArgumentOutOfRangeException(nameof(weight), weight, "Weight must be positive and finite.");

    private enum FoldEnd
    {
        Sum,
        MeanInto,
        MeanInPlace,
    }
}
