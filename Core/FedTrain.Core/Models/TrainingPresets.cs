namespace FedTrain.Core.Models;

/// <summary>
/// Local training settings that suit each model kind of the zoo on a small CPU federation; chosen with
/// <c>--model</c>, and every training flag still overrides them. Measured figures are in docs/models.md.
/// </summary>
public static class TrainingPresets
{
    /// <summary>
    /// ViT: Adam (a Transformer this small trains far more slowly with plain SGD), 60 steps of 64 images per round, so
    /// a round costs the same on every worker whatever its shard size.
    /// </summary>
    public static TrainingConfig Vit { get; } = new(LocalEpochs: 0, LocalSteps: 60, BatchSize: 64, LearningRate: 0.002f, Optimizer: "adam", Momentum: 0f, WeightDecay: 0f, Seed: 1);

    /// <summary>Byte LM: Adam, a fixed number of steps per round so rounds stay short whatever a client holds.</summary>
    public static TrainingConfig Lm { get; } = new(LocalEpochs: 0, LocalSteps: 60, BatchSize: 32, LearningRate: 0.002f, Optimizer: "adam", Momentum: 0f, WeightDecay: 0f, Seed: 1);

    /// <summary>
    /// Tabular MLP: Adam over 5 passes of batches of 32 per round; tables are small, so a round stays short while
    /// each client still takes enough steps to move.
    /// </summary>
    public static TrainingConfig Mlp { get; } = new(LocalEpochs: 5, LocalSteps: 0, BatchSize: 32, LearningRate: 0.005f, Optimizer: "adam", Momentum: 0f, WeightDecay: 0f, Seed: 1);

    public static TrainingConfig For(string kind) => kind switch
    {
        "mlp" => Mlp,
        "vit" => Vit,
        "lm" => Lm,
        _ => TrainingConfig.Default,
    };
}
