using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FedTrain.Core.Aggregation;

/// <summary>
/// The element loops of the fold: destination = x · w + addend, element by element, multiply then add (unfused),
/// so the bits equal the scalar loop's and <c>TensorPrimitives.MultiplyAdd</c>'s whatever the vector width.
/// </summary>
/// <remarks>
/// Compiled fully optimised on their first call (<see cref="MethodImplOptions.AggressiveOptimization"/>): a round
/// calls them a few hundred times on long ranges, too few calls for tiered compilation to promote them before the
/// first rounds are over, so without it those rounds ran tier-0 or on-stack-replacement code at a fraction of the
/// memory bandwidth (docs/performance.md, "aggregate").
/// </remarks>
public static class FoldKernels
{
    /// <summary>destination[i] = x[i] · w + addend[i]; <paramref name="destination"/> may be <paramref name="addend"/> or <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(ReadOnlySpan<float> x, float w, ReadOnlySpan<float> addend, Span<float> destination)
    {
        int n = destination.Length;
        if (x.Length != n || addend.Length != n)
        {
            throw new ArgumentException($"Spans of {x.Length}, {addend.Length} and {n} elements; they must be equal.", nameof(destination));
        }

        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(addend);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        // Scalar steps until the destination sits on a cache line: an unaligned vector that straddles two lines costs
        // two accesses, which the in-cache fold (the sum is both addend and destination) would pay on many of its
        // loads and stores.
        int i = 0;
        unsafe
        {
            int misaligned = (int)((nuint)Unsafe.AsPointer(ref ds) % 64) / sizeof(float);
            int peel = Math.Min(n, misaligned == 0 ? 0 : (64 / sizeof(float)) - misaligned);
            for (; i < peel; i++)
            {
                Unsafe.Add(ref ds, i) = (Unsafe.Add(ref xs, i) * w) + Unsafe.Add(ref ys, i);
            }
        }

        if (Vector512.IsHardwareAccelerated)
        {
            const int width = 16;
            var wz = Vector512.Create(w);
            for (; i <= n - (4 * width); i += 4 * width)
            {
                var a0 = (Vector512.LoadUnsafe(ref xs, (nuint)i) * wz) + Vector512.LoadUnsafe(ref ys, (nuint)i);
                var a1 = (Vector512.LoadUnsafe(ref xs, (nuint)(i + width)) * wz) + Vector512.LoadUnsafe(ref ys, (nuint)(i + width));
                var a2 = (Vector512.LoadUnsafe(ref xs, (nuint)(i + (2 * width))) * wz) + Vector512.LoadUnsafe(ref ys, (nuint)(i + (2 * width)));
                var a3 = (Vector512.LoadUnsafe(ref xs, (nuint)(i + (3 * width))) * wz) + Vector512.LoadUnsafe(ref ys, (nuint)(i + (3 * width)));
                a0.StoreUnsafe(ref ds, (nuint)i);
                a1.StoreUnsafe(ref ds, (nuint)(i + width));
                a2.StoreUnsafe(ref ds, (nuint)(i + (2 * width)));
                a3.StoreUnsafe(ref ds, (nuint)(i + (3 * width)));
            }
        }

        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<float>.Count;
            var wv = new Vector<float>(w);

            // Four independent vectors a step: loads of the four are in flight together.
            for (; i <= n - (4 * width); i += 4 * width)
            {
                var a0 = (Load(ref xs, i) * wv) + Load(ref ys, i);
                var a1 = (Load(ref xs, i + width) * wv) + Load(ref ys, i + width);
                var a2 = (Load(ref xs, i + (2 * width)) * wv) + Load(ref ys, i + (2 * width));
                var a3 = (Load(ref xs, i + (3 * width)) * wv) + Load(ref ys, i + (3 * width));
                Store(a0, ref ds, i);
                Store(a1, ref ds, i + width);
                Store(a2, ref ds, i + (2 * width));
                Store(a3, ref ds, i + (3 * width));
            }

            for (; i <= n - width; i += width)
            {
                Store((Load(ref xs, i) * wv) + Load(ref ys, i), ref ds, i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref ds, i) = (Unsafe.Add(ref xs, i) * w) + Unsafe.Add(ref ys, i);
        }
    }

    /// <summary>
    /// destination[i] = x[i] · w + 0, the first update of a cleared sum without reading the sum: adding +0 keeps
    /// the bits of the sum's path (a −0 product becomes +0, as −0 + 0 does).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAddZero(ReadOnlySpan<float> x, float w, Span<float> destination)
    {
        int n = destination.Length;
        if (x.Length != n)
        {
            throw new ArgumentException($"Spans of {x.Length} and {n} elements; they must be equal.", nameof(destination));
        }

        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<float>.Count;
            var wv = new Vector<float>(w);
            var zero = Vector<float>.Zero;
            for (; i <= n - (4 * width); i += 4 * width)
            {
                var a0 = (Load(ref xs, i) * wv) + zero;
                var a1 = (Load(ref xs, i + width) * wv) + zero;
                var a2 = (Load(ref xs, i + (2 * width)) * wv) + zero;
                var a3 = (Load(ref xs, i + (3 * width)) * wv) + zero;
                Store(a0, ref ds, i);
                Store(a1, ref ds, i + width);
                Store(a2, ref ds, i + (2 * width));
                Store(a3, ref ds, i + (3 * width));
            }

            for (; i <= n - width; i += width)
            {
                Store((Load(ref xs, i) * wv) + zero, ref ds, i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref ds, i) = (Unsafe.Add(ref xs, i) * w) + 0f;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(ref float start, int index) => Vector.LoadUnsafe(ref start, (nuint)index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<float> value, ref float start, int index) => value.StoreUnsafe(ref start, (nuint)index);
}
