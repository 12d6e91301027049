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
        // In chunks through Fill, so rows read on demand are fitted without holding them all; in the source's order, so
        // that each chunk reads a few neighbouring row groups rather than a random row of every group in the file.
        const int Chunk = 4096;
        var buffer = new float[Math.Min(Chunk, Math.Max(1, rows.Count)) * d];
        long[] order = rows.InSourceOrder();
        for (int first = 0; first < rows.Count; first += Chunk)
        {
            int count = Math.Min(Chunk, rows.Count - first);
            rows.Fill(order.AsSpan(first, count), buffer.AsSpan(0, count * d));
            for (int v = 0; v < count * d; v++)
            {
                double value = buffer[v];
                sum[v % d] += value;
                squares[v % d] += value * value;
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

    /// <summary>
    /// The standardised rows: <paramref name="rows"/> itself, standardised in place, or for rows read on demand a data
    /// set that standardises each batch as it is read.
    /// </summary>
    public ImageDataset Standardize(ImageDataset rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (!rows.IsLazy)
        {
            Apply(rows);
            return rows;
        }

        return new ImageDataset(new Standardized(rows, this), Enumerable.Range(0, rows.Count).Select(i => (long)i).ToArray(), rows.Labels, rows.Channels, rows.Height, rows.Width, rows.Classes);
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

    private sealed class Standardized(ImageDataset rows, FeatureStandardization statistics) : IExampleSource
    {
        public void Fill(ReadOnlySpan<long> indices, Span<float> destination)
        {
            rows.Fill(indices, destination);
            int d = statistics.Mean.Length;
            for (int v = 0; v < destination.Length; v++)
            {
                destination[v] = (destination[v] - statistics.Mean[v % d]) / statistics.StdDev[v % d];
            }
        }
    }
}
