using System.Numerics;
using System.Runtime.CompilerServices;

namespace FedTrain.Core.Strategies;

/// <summary>
/// The one line in which FedAdagrad, FedAdam and FedYogi differ: how the second moment v absorbs Δ̄².
/// Static abstract members let the JIT specialise <see cref="AdaptiveKernel"/> per rule, and the rules are marked
/// for inlining so that no rule, however long, leaves a call in the loop.
/// The scalar and vector forms perform the same IEEE operations in the same order, so an element's result does not
/// depend on whether it fell in a vector or in the tail.
/// </summary>
internal interface ISecondMomentRule
{
    static abstract float Next(float v, float squared, float beta2, float oneMinusBeta2);

    static abstract Vector<float> Next(Vector<float> v, Vector<float> squared, Vector<float> beta2, Vector<float> oneMinusBeta2);
}

/// <summary>Adagrad: v ← v + Δ̄².</summary>
internal readonly struct AdagradRule : ISecondMomentRule
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Next(float v, float squared, float beta2, float oneMinusBeta2) => v + squared;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Next(Vector<float> v, Vector<float> squared, Vector<float> beta2, Vector<float> oneMinusBeta2) => v + squared;
}

/// <summary>Adam: v ← β₂v + (1 − β₂)Δ̄².</summary>
internal readonly struct AdamRule : ISecondMomentRule
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Next(float v, float squared, float beta2, float oneMinusBeta2) => (beta2 * v) + (oneMinusBeta2 * squared);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Next(Vector<float> v, Vector<float> squared, Vector<float> beta2, Vector<float> oneMinusBeta2) =>
        (beta2 * v) + (oneMinusBeta2 * squared);
}

/// <summary>
/// Yogi (Zaheer et al. 2018): v ← v − (1 − β₂)Δ̄²·sign(v − Δ̄²). v moves towards Δ̄² by an additive step, so a sudden
/// large Δ̄ raises v more slowly than Adam's multiplicative forgetting would. sign(0) = 0, as numpy's.
/// </summary>
internal readonly struct YogiRule : ISecondMomentRule
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Next(float v, float squared, float beta2, float oneMinusBeta2)
    {
        float difference = v - squared;
        float sign = difference > 0 ? 1f : difference < 0 ? -1f : 0f;
        return v - (oneMinusBeta2 * squared * sign);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Next(Vector<float> v, Vector<float> squared, Vector<float> beta2, Vector<float> oneMinusBeta2)
    {
        var difference = v - squared;
        var sign = Vector.ConditionalSelect(
            Vector.GreaterThan(difference, Vector<float>.Zero),
            Vector<float>.One,
            Vector.ConditionalSelect(Vector.LessThan(difference, Vector<float>.Zero), -Vector<float>.One, Vector<float>.Zero));
        return v - (oneMinusBeta2 * squared * sign);
    }
}
