namespace FedTrain.Core.Data.Formats;

/// <summary>
/// Per-feature standardisation, x' = (x - mean) / std, for the tabular model. Each party fits it on the rows it
/// holds itself (a worker on its own training split, the coordinator on its test set): no row and no statistic
/// leaves a machine, at the price of parties scaling a feature slightly differently when their data differ.
/// </summary>
public sealed record FeatureStandardization(float[] Mean, float[] StdDev)
{
    /// <summary>The statistics of <paramref name="rows"/>; a constant feature gets std 1, so it maps to 0.</summary>
    public static FeatureStandardization Fit(ImageDataset rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int d = rows.PixelsPerImage;
        var sum = new double[d];
        var squares = new double[d];
        for (int i = 0; i < rows.Count; i++)
        {
            for (int f = 0; f < d; f++)
            {
                double v = rows.Images[((long)i * d) + f];
                sum[f] += v;
                squares[f] += v * v;
            }
        }

        int n = Math.Max(1, rows.Count);
        var mean = new float[d];
        var std = new float[d];
        for (int f = 0; f < d; f++)
        {
            double m = sum[f] / n;
            double variance = Math.Max(0, (squares[f] / n) - (m * m));
            mean[f] = (float)m;
            std[f] = variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f;
        }

        return new FeatureStandardization(mean, std);
    }

    /// <summary>Standardises <paramref name="rows"/> in place.</summary>
    public void Apply(ImageDataset rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int d = Mean.Length;
        for (long v = 0; v < rows.Images.LongLength; v++)
        {
            int f = (int)(v % d);
            rows.Images[v] = (rows.Images[v] - Mean[f]) / StdDev[f];
        }
    }
}
