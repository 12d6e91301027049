namespace FedTrain.Core.Strategies;

/// <summary>
/// A server-side optimizer in the FedOpt framework (Reddi et al. 2021, "Adaptive Federated Optimization",
/// Algorithm 1): the round's example-weighted mean delta Δ̄ = mean(local − global) is a negative pseudo-gradient,
/// and the optimizer steps the global model with it. Implementations own their state buffers (momentum, second
/// moments), sized to the model and allocated once in the constructor, so a round allocates nothing.
/// </summary>
/// <remarks>Not thread-safe: the round loop applies one step at a time. State is not persisted by the optimizer;
/// checkpointing reads it through the implementation's state properties and restores it with its
/// <c>RestoreState</c> method.</remarks>
public interface IServerOptimizer
{
    /// <summary>Number of model parameters the state was sized for; every call must pass spans of this length.</summary>
    int Length { get; }

    /// <summary>Number of <see cref="Apply"/> calls since construction or the last <see cref="Reset"/>.</summary>
    long StepCount { get; }

    /// <summary>Steps <paramref name="model"/> in place with the round's averaged delta.</summary>
    /// <param name="model">The global model w, updated in place.</param>
    /// <param name="averagedDelta">Δ̄, the (example-weighted) mean of local − global over the round's updates.</param>
    void Apply(Span<float> model, ReadOnlySpan<float> averagedDelta);

    /// <summary>Forgets all state, as at construction (a new training run on the same model shape).</summary>
    void Reset();
}
