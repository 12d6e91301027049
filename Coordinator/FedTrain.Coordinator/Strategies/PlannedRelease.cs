namespace FedTrain.Coordinator.Strategies;

/// <summary>A release about to happen: the total noise multiplier z the accountant counts, and the clip norm C of the round.</summary>
public readonly record struct PlannedRelease(double NoiseMultiplier, double ClipNorm);
