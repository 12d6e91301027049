using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FedTrain.Core.Strategies;

/// <summary>
/// One fused pass of Reddi et al.'s Algorithm 2 over a chunk:
/// m ← β₁m + (1 − β₁)Δ̄;  v ← rule(v, Δ̄²);  w ← w + η·m / (√v + τ).
/// </summary>
/// <remarks>
/// Hand-fused with <see cref="Vector{T}"/> rather than composed from TensorPrimitives calls: the step is memory-bound,
/// and one pass reads four arrays and writes three, where the composed form (about eight calls) streams the
/// arrays through memory several times. No fused multiply-add is used, so vector lanes and the scalar tail agree
/// bit for bit.
/// </remarks>
internal static class AdaptiveKernel
{
    public static void Apply<TRule>(
        Span<float> model, ReadOnlySpan<float> delta, Span<float> firstMoment, Span<float> secondMoment, in AdaptiveCoefficients c)
        where TRule : struct, ISecondMomentRule
    {
        int length = model.Length;
        ref float w = ref MemoryMarshal.GetReference(model);
        ref float d = ref MemoryMarshal.GetReference(delta);
        ref float m = ref MemoryMarshal.GetReference(firstMoment);
        ref float v = ref MemoryMarshal.GetReference(secondMoment);

        int i = 0;
        if (Vector.IsHardwareAccelerated && length >= Vector<float>.Count)
        {
            var beta1 = new Vector<float>(c.Beta1);
            var oneMinusBeta1 = new Vector<float>(c.OneMinusBeta1);
            var beta2 = new Vector<float>(c.Beta2);
            var oneMinusBeta2 = new Vector<float>(c.OneMinusBeta2);
            var eta = new Vector<float>(c.LearningRate);
            var tau = new Vector<float>(c.Tau);
            for (; i <= length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var offset = (nuint)i;
                var dv = Vector.LoadUnsafe(ref d, offset);
                var mv = (beta1 * Vector.LoadUnsafe(ref m, offset)) + (oneMinusBeta1 * dv);
                var vv = TRule.Next(Vector.LoadUnsafe(ref v, offset), dv * dv, beta2, oneMinusBeta2);
                var wv = Vector.LoadUnsafe(ref w, offset) + (eta * mv / (Vector.SquareRoot(vv) + tau));
                mv.StoreUnsafe(ref m, offset);
                vv.StoreUnsafe(ref v, offset);
                wv.StoreUnsafe(ref w, offset);
            }
        }

        for (; i < length; i++)
        {
            float dv = Unsafe.Add(ref d, i);
            float mv = (c.Beta1 * Unsafe.Add(ref m, i)) + (c.OneMinusBeta1 * dv);
            float vv = TRule.Next(Unsafe.Add(ref v, i), dv * dv, c.Beta2, c.OneMinusBeta2);
            Unsafe.Add(ref m, i) = mv;
            Unsafe.Add(ref v, i) = vv;
            Unsafe.Add(ref w, i) += c.LearningRate * mv / (MathF.Sqrt(vv) + c.Tau);
        }
    }
}
