namespace FedTrain.Core.Data.Formats;

/// <summary>Where a data owner's data is and how to read it (the worker's <c>--data</c> flags).</summary>
public sealed record DataSourceOptions
{
    /// <summary>A file (CSV, TSV, Parquet, safetensors) or folder (images, text, IDX, npy pair).</summary>
    public string Path { get; init; } = FashionMnistData;

    /// <summary>Null detects it from <see cref="Path"/>.</summary>
    public DataFormat? Format { get; init; }

    /// <summary>Tables: the column holding each row's class.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>Tables: the feature columns, in the model's order; null takes every column but the label.</summary>
    public IReadOnlyList<string>? FeatureColumns { get; init; }

    /// <summary>CSV: the separator; null detects it from the header (<c>,</c> <c>;</c> tab or <c>|</c>).</summary>
    public char? Separator { get; init; }

    /// <summary>Tables and image folders: keep every example, or the demo's training or test part.</summary>
    public DataSplit Split { get; init; } = DataSplit.All;

    /// <summary>Seeds <see cref="Split"/>; the same for the coordinator and every worker.</summary>
    public ulong SplitSeed { get; init; } = 42;

    /// <summary>
    /// Image folders: the share of files that may be unreadable or of the wrong channels. They are skipped and counted;
    /// above this share the data is refused, since a folder that is mostly broken is not the data its owner meant.
    /// </summary>
    public double MaxSkippedFraction { get; init; } = 0.01;

    /// <summary>
    /// Image folders and Parquet files: decode on demand, keeping at most this many bytes of decoded images (or row
    /// groups) in memory, when the whole data decoded would be larger; null decodes everything into memory at start.
    /// </summary>
    public long? CacheBytes { get; init; }

    /// <summary>IDX and text folders: the training files (true) or the test files.</summary>
    public bool Train { get; init; } = true;

    /// <summary>Keep only the first N examples; null for all.</summary>
    public int? Limit { get; init; }

    private const string FashionMnistData = Data.FashionMnist.DefaultDirectory;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException("--data is empty.");
        }

        if (!(MaxSkippedFraction is >= 0 and < 1))
        {
            throw new ArgumentException($"--max-skipped must be a fraction in [0, 1), got {MaxSkippedFraction}.");
        }

        if (CacheBytes is <= 0)
        {
            throw new ArgumentException($"--cache-mb must be positive, got {CacheBytes} bytes.");
        }

        if (Limit is <= 0)
        {
            throw new ArgumentException($"The example limit must be positive, got {Limit}.");
        }

        if (FeatureColumns is { } features && LabelColumn is { } label && features.Contains(label, StringComparer.Ordinal))
        {
            throw new ArgumentException($"--feature-columns names the label column '{label}'.");
        }

        if (FeatureColumns is { } names && names.Distinct(StringComparer.Ordinal).Count() != names.Count)
        {
            throw new ArgumentException($"--feature-columns names a column twice: {string.Join(",", names)}.");
        }
    }
}
