namespace FedTrain.Core.Models;

/// <summary>Local training hyperparameters a worker receives with each round assignment.</summary>
/// <param name="LocalEpochs">Passes over the local training split; used when <paramref name="LocalSteps"/> is 0.</param>
/// <param name="LocalSteps">Optimizer steps per round; 0 means "use epochs".</param>
/// <param name="BatchSize">Examples per step.</param>
/// <param name="LearningRate">Optimizer learning rate.</param>
/// <param name="Optimizer"><c>sgd</c> or <c>adam</c>.</param>
/// <param name="Momentum">SGD momentum (ignored by Adam).</param>
/// <param name="WeightDecay">L2 weight decay.</param>
/// <param name="Seed">Seeds shuffling and dropout so a round is reproducible.</param>
public sealed record TrainingConfig(
    int LocalEpochs,
    int LocalSteps,
    int BatchSize,
    float LearningRate,
    string Optimizer,
    float Momentum,
    float WeightDecay,
    ulong Seed)
{
    /// <summary>
    /// FedProx's μ: local training adds (μ/2)·‖w − w_global‖² to the loss; 0 (the default) trains plainly. Set by
    /// the <c>fedprox</c> strategy, or directly to add the term under another mean strategy.
    /// </summary>
    public float ProximalMu { get; init; }

    public static TrainingConfig Default { get; } = new(1, 0, 32, 0.05f, "sgd", 0.9f, 0f, 1);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter outside its domain.</summary>
    public void Validate()
    {
        if (LocalEpochs < 0 || LocalSteps < 0 || (LocalEpochs == 0 && LocalSteps == 0))
        {
            throw new ArgumentException("Set local epochs or local steps to a positive number.", nameof(LocalEpochs));
        }

        if (BatchSize <= 0)
        {
            throw new ArgumentException($"Batch size must be positive, got {BatchSize}.", nameof(BatchSize));
        }

        if (!float.IsFinite(LearningRate) || LearningRate <= 0)
        {
            throw new ArgumentException($"Learning rate must be a positive finite number, got {LearningRate}.", nameof(LearningRate));
        }

        if (Optimizer is not ("sgd" or "adam"))
        {
            throw new ArgumentException($"Unknown optimizer '{Optimizer}'; known: sgd, adam.", nameof(Optimizer));
        }

        if (!float.IsFinite(Momentum) || Momentum < 0 || Momentum >= 1)
        {
            throw new ArgumentException($"Momentum must be in [0, 1), got {Momentum}.", nameof(Momentum));
        }

        if (!float.IsFinite(WeightDecay) || WeightDecay < 0)
        {
            throw new ArgumentException($"Weight decay must be >= 0, got {WeightDecay}.", nameof(WeightDecay));
        }

        if (!float.IsFinite(ProximalMu) || ProximalMu < 0)
        {
            throw new ArgumentException($"Proximal mu must be a finite number >= 0, got {ProximalMu}.", nameof(ProximalMu));
        }
    }
}
