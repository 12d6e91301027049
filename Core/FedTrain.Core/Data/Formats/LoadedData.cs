namespace FedTrain.Core.Data.Formats;

/// <summary>A file left out of the data, and why.</summary>
public sealed record SkippedFile(string Path, string Reason);

/// <summary>
/// A data owner's data as the trainer takes it, with what <c>data inspect</c> shows about it: the class names, the
/// feature names of a table, the files skipped and why, and a table's first rows as read.
/// </summary>
public sealed record LoadedData(ImageDataset Examples, DataFormat Format, IReadOnlyList<string> ClassNames)
{
    /// <summary>Tables: the feature columns, in input order; null for other formats.</summary>
    public IReadOnlyList<string>? FeatureNames { get; init; }

    /// <summary>Files left out (unreadable, wrong channels), each with its reason.</summary>
    public IReadOnlyList<SkippedFile> Skipped { get; init; } = [];

    /// <summary>Tables: the first rows' label and feature values as parsed (before standardisation).</summary>
    public IReadOnlyList<(string Label, float[] Features)> FirstRows { get; init; } = [];

    /// <summary>What was done to the inputs, in words (resizing and normalisation, or none).</summary>
    public string Preprocessing { get; init; } = "none";
}
