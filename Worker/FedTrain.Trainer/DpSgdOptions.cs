namespace FedTrain.Trainer;

/// <summary>
/// Record-level differential privacy for a local round (DP-SGD, Abadi et al. 2016). Every step draws a Poisson
/// batch (each example independently with probability q = batch size / examples), clips each example's gradient,
/// flat over all parameters, to L2 norm <see cref="ClipNorm"/>, sums, adds Gaussian noise of standard deviation
/// <see cref="NoiseMultiplier"/> × <see cref="ClipNorm"/> to every coordinate, divides by the expected batch size
/// and steps the optimizer. Batches and noise come from a cryptographically secure stream, never from
/// <see cref="FedTrain.Core.Models.TrainingConfig.Seed"/>.
/// </summary>
/// <param name="ClipNorm">C, the bound on each example's gradient norm; finite and greater than 0.</param>
/// <param name="NoiseMultiplier">σ, noise standard deviation in units of <paramref name="ClipNorm"/>; finite and greater than 0.</param>
public sealed record DpSgdOptions(double ClipNorm, double NoiseMultiplier)
{
    /// <summary>
    /// Tests only: nonzero draws batches and noise from a stream keyed by this value, so a run is reproducible and
    /// not private (it also permits a zero <see cref="NoiseMultiplier"/>). Internal so that no production caller
    /// can set it.
    /// </summary>
    internal ulong InsecureTestSeed { get; init; }
}
