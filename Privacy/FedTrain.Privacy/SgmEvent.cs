namespace FedTrain.Privacy;

/// <summary>
/// One entry of an accountant's history: <paramref name="Steps"/> consecutive releases of the Sampled Gaussian
/// Mechanism with Poisson sampling rate <paramref name="SamplingRate"/> and noise multiplier <paramref name="NoiseMultiplier"/>.
/// </summary>
public readonly record struct SgmEvent(double SamplingRate, double NoiseMultiplier, long Steps);
