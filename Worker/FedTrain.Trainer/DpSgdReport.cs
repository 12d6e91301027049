namespace FedTrain.Trainer;

/// <summary>
/// What a privacy accountant needs about a DP-SGD round: the Sampled Gaussian Mechanism with noise multiplier
/// <see cref="NoiseMultiplier"/>, sampling rate <see cref="SamplingRate"/> (Poisson, add/remove-one adjacency),
/// composed <see cref="Steps"/> times.
/// </summary>
/// <param name="Steps">Noised optimizer steps taken.</param>
/// <param name="SamplingRate">q = batch size / examples: each example's inclusion probability per step.</param>
/// <param name="NoiseMultiplier">σ as applied: the noise standard deviation on the clipped sum is σ × <paramref name="ClipNorm"/>.</param>
/// <param name="ClipNorm">C as applied: the bound on each example's gradient norm.</param>
public sealed record DpSgdReport(long Steps, double SamplingRate, double NoiseMultiplier, double ClipNorm);
