namespace FedTrain.Privacy.Tests;

/// <summary>
/// A deterministic <see cref="INoiseSource"/>: adds <c>shift·σ</c> (0 by default) and records every σ asked for, so
/// tests can check the arithmetic around the noise and the standard deviations the code requests.
/// </summary>
internal sealed class RecordingNoiseSource(double shift = 0, double granularityRatio = 0) : INoiseSource
{
    public List<double> Requested { get; } = [];

    public double Sample(double standardDeviation)
    {
        Requested.Add(standardDeviation);
        return shift * standardDeviation;
    }

    public void AddNoise(Span<float> values, double standardDeviation)
    {
        Requested.Add(standardDeviation);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] += (float)(shift * standardDeviation);
        }
    }

    public void AddNoise(Span<double> values, double standardDeviation)
    {
        Requested.Add(standardDeviation);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] += shift * standardDeviation;
        }
    }

    public double GranularityFor(double standardDeviation) => granularityRatio * standardDeviation;
}
