namespace FedTrain.Core.Strategies;

/// <summary>
/// FedAdagrad (Reddi et al. 2021, Algorithm 2): m ← β₁m + (1 − β₁)Δ̄;  v ← v + Δ̄²;  w ← w + η·m / (√v + τ).
/// v only grows, so the per-coordinate step shrinks over the run.
/// </summary>
/// <remarks>
/// Follows Algorithm 2 of Reddi et al. 2021 as written: no bias correction, and v₀ = τ² (the paper requires
/// v₋₁ ≥ τ²). Flower starts v at 0; pass <c>initialSecondMoment: 0</c> to reproduce it.
/// Flower fixes β₁ = 0 for FedAdagrad (m = Δ̄); the paper keeps β₁ as a parameter, and so do we, with Flower's 0
/// as the default.
/// Chunks of the vector run in parallel above 2²⁰ parameters; the result does not depend on the split.
/// </remarks>
public sealed class FedAdagrad : AdaptiveServerOptimizer
{
    /// <param name="length">Number of model parameters; m and v are allocated (and touched) here, once.</param>
    /// <param name="serverLearningRate">η &gt; 0. Default 0.1 (Flower).</param>
    /// <param name="beta1">β₁ ∈ [0, 1), momentum of m. Default 0 (Flower).</param>
    /// <param name="tau">τ &gt; 0, the adaptivity floor: where √v ≪ τ the step is η·m/τ, SGD-like. Default 1e-3 (Flower).</param>
    /// <param name="initialSecondMoment">v₀ ≥ 0; null means τ², as in the paper.</param>
    public FedAdagrad(int length, double serverLearningRate = 0.1, double beta1 = 0.0, double tau = 1e-3, double? initialSecondMoment = null)
        : base(new AdaptiveState(length, serverLearningRate, beta1, beta2: 0, tau, initialSecondMoment))
    {
    }

    public override void Apply(Span<float> model, ReadOnlySpan<float> averagedDelta) => State.Apply<AdagradRule>(model, averagedDelta);
}
