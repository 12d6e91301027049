namespace FedTrain.Privacy;

/// <summary>
/// Where DP noise comes from. <see cref="SecureGaussianNoise"/> is the production implementation; tests inject
/// deterministic sources to check the arithmetic around the noise.
/// </summary>
public interface INoiseSource
{
    /// <summary>One draw of Gaussian noise with this standard deviation (&gt; 0).</summary>
    double Sample(double standardDeviation);

    /// <summary>Adds independent Gaussian noise with this standard deviation (&gt; 0) to every element.</summary>
    void AddNoise(Span<float> values, double standardDeviation);

    /// <summary>Adds independent Gaussian noise with this standard deviation (&gt; 0) to every element.</summary>
    void AddNoise(Span<double> values, double standardDeviation);

    /// <summary>
    /// The grid γ that values are rounded to before noise of this standard deviation is added (0 if they are not
    /// rounded). Rounding moves each coordinate by at most γ/2, so a caller noising a d-dimensional sum with L2
    /// sensitivity Δ must treat the sensitivity as Δ + √d·γ.
    /// </summary>
    double GranularityFor(double standardDeviation);
}
