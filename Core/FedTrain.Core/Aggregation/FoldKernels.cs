using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        RequireEqualLengths(x, addend, destination);

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
    /// As <see cref="MultiplyAdd"/>, the same bits, but the destination is written with non-temporal stores: past the
    /// caches, without first reading each line in, for a destination that is written once and not read soon (the new
    /// model at the end of a fold). <paramref name="destination"/> may be <paramref name="x"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAddNonTemporal(ReadOnlySpan<float> x, float w, ReadOnlySpan<float> addend, Span<float> destination)
    {
        int n = destination.Length;
        RequireEqualLengths(x, addend, destination);

        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(addend);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        unsafe
        {
            // Aligned stores only, so scalar steps until the destination sits on a cache line.
            float* to = (float*)Unsafe.AsPointer(ref ds);
            int misaligned = (int)((nuint)to % 64) / sizeof(float);
            int peel = Math.Min(n, misaligned == 0 ? 0 : (64 / sizeof(float)) - misaligned);
            for (; i < peel; i++)
            {
                Unsafe.Add(ref ds, i) = (Unsafe.Add(ref xs, i) * w) + Unsafe.Add(ref ys, i);
            }

            if (Vector512.IsHardwareAccelerated)
            {
                const int width = 16;
                var wz = Vector512.Create(w);
                for (; i <= n - width; i += width)
                {
                    var a = (Vector512.LoadUnsafe(ref xs, (nuint)i) * wz) + Vector512.LoadUnsafe(ref ys, (nuint)i);
                    Vector512.StoreAlignedNonTemporal(a, to + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                const int width = 8;
                var wy = Vector256.Create(w);
                for (; i <= n - width; i += width)
                {
                    var a = (Vector256.LoadUnsafe(ref xs, (nuint)i) * wy) + Vector256.LoadUnsafe(ref ys, (nuint)i);
                    Vector256.StoreAlignedNonTemporal(a, to + i);
                }
            }
        }

        // The rest (all of it where neither vector width is accelerated) through the cached stores.
        if (i < n)
        {
            MultiplyAdd(x[i..], w, addend[i..], destination[i..]);
        }

        // Non-temporal stores are weakly ordered: make them visible before whoever waits on this range reads it.
        if (Sse.IsSupported)
        {
            Sse.StoreFence();
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

    /// <summary>
    /// destination[i] = x1[i] · w1 + (x0[i] · w0 + addend[i]): two updates folded in one pass over the destination,
    /// the same bits as two <see cref="MultiplyAdd"/> calls in that order. <paramref name="destination"/> may be
    /// <paramref name="addend"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd2(ReadOnlySpan<float> x0, float w0, ReadOnlySpan<float> x1, float w1, ReadOnlySpan<float> addend, Span<float> destination) =>
        Fold(2, fromZero: false, x0, w0, x1, w1, default, 0, default, 0, addend, destination);

    /// <summary>As <see cref="MultiplyAdd2"/> from a sum of +0 that is not read (the first updates of a cleared sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd2Zero(ReadOnlySpan<float> x0, float w0, ReadOnlySpan<float> x1, float w1, Span<float> destination) =>
        Fold(2, fromZero: true, x0, w0, x1, w1, default, 0, default, 0, default, destination);

    /// <summary>
    /// destination[i] = x3[i] · w3 + (x2[i] · w2 + (x1[i] · w1 + (x0[i] · w0 + addend[i]))): four updates folded in
    /// one pass over the destination, the same bits as four <see cref="MultiplyAdd"/> calls in that order.
    /// <paramref name="destination"/> may be <paramref name="addend"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd4(
        ReadOnlySpan<float> x0, float w0, ReadOnlySpan<float> x1, float w1, ReadOnlySpan<float> x2, float w2, ReadOnlySpan<float> x3, float w3,
        ReadOnlySpan<float> addend, Span<float> destination) =>
        Fold(4, fromZero: false, x0, w0, x1, w1, x2, w2, x3, w3, addend, destination);

    /// <summary>As <see cref="MultiplyAdd4"/> from a sum of +0 that is not read (the first updates of a cleared sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd4Zero(
        ReadOnlySpan<float> x0, float w0, ReadOnlySpan<float> x1, float w1, ReadOnlySpan<float> x2, float w2, ReadOnlySpan<float> x3, float w3,
        Span<float> destination) =>
        Fold(4, fromZero: true, x0, w0, x1, w1, x2, w2, x3, w3, default, destination);

    // The multi-update loop, inlined into each caller with constant terms and fromZero so that their branches fold
    // away. Each element's sum stays in a register across the updates: one read and one write of the destination
    // for all of them, and every update's stream in flight at once.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fold(
        int terms, bool fromZero, ReadOnlySpan<float> x0, float w0, ReadOnlySpan<float> x1, float w1, ReadOnlySpan<float> x2, float w2,
        ReadOnlySpan<float> x3, float w3, ReadOnlySpan<float> addend, Span<float> destination)
    {
        int n = destination.Length;
        if (x0.Length != n || x1.Length != n || (terms > 2 && (x2.Length != n || x3.Length != n)) || (!fromZero && addend.Length != n))
        {
            throw new ArgumentException($"Spans of {x0.Length}, {x1.Length}, {x2.Length}, {x3.Length}, {addend.Length} and {n} elements; they must be equal.", nameof(destination));
        }

        ref float r0 = ref MemoryMarshal.GetReference(x0);
        ref float r1 = ref MemoryMarshal.GetReference(x1);
        ref float r2 = ref MemoryMarshal.GetReference(x2);
        ref float r3 = ref MemoryMarshal.GetReference(x3);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        ref float ys = ref fromZero ? ref ds : ref MemoryMarshal.GetReference(addend);
        int i = 0;
        unsafe
        {
            int misaligned = (int)((nuint)Unsafe.AsPointer(ref ds) % 64) / sizeof(float);
            int peel = Math.Min(n, misaligned == 0 ? 0 : (64 / sizeof(float)) - misaligned);
            for (; i < peel; i++)
            {
                Unsafe.Add(ref ds, i) = Element(terms, fromZero, ref r0, w0, ref r1, w1, ref r2, w2, ref r3, w3, ref ys, i);
            }
        }

        if (Vector512.IsHardwareAccelerated)
        {
            const int width = 16;
            var v0 = Vector512.Create(w0);
            var v1 = Vector512.Create(w1);
            var v2 = Vector512.Create(w2);
            var v3 = Vector512.Create(w3);
            for (; i <= n - (2 * width); i += 2 * width)
            {
                var j = (nuint)i;
                var k = (nuint)(i + width);
                var s0 = fromZero ? Vector512<float>.Zero : Vector512.LoadUnsafe(ref ys, j);
                var s1 = fromZero ? Vector512<float>.Zero : Vector512.LoadUnsafe(ref ys, k);
                s0 = (Vector512.LoadUnsafe(ref r0, j) * v0) + s0;
                s1 = (Vector512.LoadUnsafe(ref r0, k) * v0) + s1;
                s0 = (Vector512.LoadUnsafe(ref r1, j) * v1) + s0;
                s1 = (Vector512.LoadUnsafe(ref r1, k) * v1) + s1;
                if (terms > 2)
                {
                    s0 = (Vector512.LoadUnsafe(ref r2, j) * v2) + s0;
                    s1 = (Vector512.LoadUnsafe(ref r2, k) * v2) + s1;
                    s0 = (Vector512.LoadUnsafe(ref r3, j) * v3) + s0;
                    s1 = (Vector512.LoadUnsafe(ref r3, k) * v3) + s1;
                }

                s0.StoreUnsafe(ref ds, j);
                s1.StoreUnsafe(ref ds, k);
            }
        }

        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<float>.Count;
            var v0 = new Vector<float>(w0);
            var v1 = new Vector<float>(w1);
            var v2 = new Vector<float>(w2);
            var v3 = new Vector<float>(w3);
            for (; i <= n - width; i += width)
            {
                var s = fromZero ? Vector<float>.Zero : Load(ref ys, i);
                s = (Load(ref r0, i) * v0) + s;
                s = (Load(ref r1, i) * v1) + s;
                if (terms > 2)
                {
                    s = (Load(ref r2, i) * v2) + s;
                    s = (Load(ref r3, i) * v3) + s;
                }

                Store(s, ref ds, i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref ds, i) = Element(terms, fromZero, ref r0, w0, ref r1, w1, ref r2, w2, ref r3, w3, ref ys, i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Element(
        int terms, bool fromZero, ref float r0, float w0, ref float r1, float w1, ref float r2, float w2, ref float r3, float w3, ref float ys, int i)
    {
        float s = fromZero ? 0f : Unsafe.Add(ref ys, i);
        s = (Unsafe.Add(ref r0, i) * w0) + s;
        s = (Unsafe.Add(ref r1, i) * w1) + s;
        if (terms > 2)
        {
            s = (Unsafe.Add(ref r2, i) * w2) + s;
            s = (Unsafe.Add(ref r3, i) * w3) + s;
        }

        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(ref float start, int index) => Vector.LoadUnsafe(ref start, (nuint)index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<float> value, ref float start, int index) => value.StoreUnsafe(ref start, (nuint)index);

    private static void RequireEqualLengths(ReadOnlySpan<float> x, ReadOnlySpan<float> addend, Span<float> destination)
    {
        if (x.Length != destination.Length || addend.Length != destination.Length)
        {
            throw new ArgumentException(
                $"Spans of {x.Length}, {addend.Length} and {destination.Length} elements; they must be equal.", nameof(destination));
        }
    }
}
