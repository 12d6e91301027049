namespace FedTrain.Core.Strategies;

/// <summary>
/// FedYogi (Reddi et al. 2021, Algorithm 2): m ← β₁m + (1 − β₁)Δ̄;  v ← v − (1 − β₂)Δ̄²·sign(v − Δ̄²);
/// w ← w + η·m / (√v + τ). v moves additively towards Δ̄², so one large Δ̄ raises it less abruptly than in Adam.
/// </summary>
/// <remarks>
/// Follows Algorithm 2 of Reddi et al. 2021 as written: no bias correction, and v₀ = τ² (the paper requires
/// v₋₁ ≥ τ²). Flower starts v at 0; pass <c>initialSecondMoment: 0</c> to reproduce it.
/// Chunks of the vector run in parallel above 2²⁰ parameters; the result does not depend on the split.
/// </remarks>
public sealed class FedYogi : AdaptiveServerOptimizer
{
    /// <param name="length">Number of model parameters; m and v are allocated (and touched) here, once.</param>
    /// <param name="serverLearningRate">η &gt; 0. Default 0.01 (Flower).</param>
    /// <param name="beta1">β₁ ∈ [0, 1). Default 0.9.</param>
    /// <param name="beta2">β₂ ∈ [0, 1). Default 0.99.</param>
    /// <param name="tau">τ &gt; 0, the adaptivity floor: where √v ≪ τ the step is η·m/τ, SGD-like. Default 1e-3 (Flower).</param>
    /// <param name="initialSecondMoment">v₀ ≥ 0; null means τ², as in the paper.</param>
    public FedYogi(int length, double serverLearningRate = 0.01, double beta1 = 0.9, double beta2 = 0.99, double tau = 1e-3, double? initialSecondMoment = null)
        : base(new AdaptiveState(length, serverLearningRate, beta1, beta2, tau, initialSecondMoment))
    {
    }

    public override void Apply(Span<float> model, ReadOnlySpan<float> averagedDelta) => State.Apply<YogiRule>(model, averagedDelta);
}
