namespace FedTrain.Core.Data.Formats;

/// <summary>
/// What the run's model takes: its input shape (or, for tables, its feature names), its classes by name, and the
/// image normalisation. A worker checks its data against it before registering, and nothing is trained on data that
/// fails.
/// </summary>
/// <param name="Model">The run's model; its input shape and class count are part of the contract.</param>
/// <param name="ClassNames">The classes in index order; null when the run names none (labels are then indices, or
/// for image folders and tables the sorted distinct values).</param>
public sealed record DataContract(Models.ModelSpec? Model, IReadOnlyList<string>? ClassNames = null)
{
    /// <summary>How pixels are normalised; null takes <see cref="ImageNormalization.For"/> the model's channels.</summary>
    public ImageNormalization? Normalization { get; init; }

    /// <summary>
    /// Tables: the run's feature columns, in the model's input order. A table is read by these names, whatever the
    /// order of its columns, and one that lacks any is refused; null when the run names none (the columns are then
    /// the owner's <c>--feature-columns</c>, or every column but the label, checked by count only).
    /// </summary>
    public IReadOnlyList<string>? FeatureNames { get; init; }

    /// <summary>No model known yet: the data is checked on its own (readable, finite, labelled).</summary>
    public static DataContract None { get; } = new((Models.ModelSpec?)null);

    /// <summary>The channels, height and width images are decoded to; null when the model is not an image model.</summary>
    public (int Channels, int Height, int Width)? ImageShape =>
        Model is { IsLanguageModel: false, IsTabular: false, Kind: not Models.ModelSpec.TorchScriptKind } m ? (m.Channels, m.Height, m.Width) : null;

    public ImageNormalization ImageNormalization => Normalization ?? ImageNormalization.For(ImageShape?.Channels ?? 1);

    /// <summary>
    /// The run's contract <paramref name="served"/> by the coordinator, with the class names and normalisation given
    /// here (a data owner's own flags) winning over the run's; checked with <see cref="Validate"/>.
    /// </summary>
    public DataContract Over(DataContract served)
    {
        ArgumentNullException.ThrowIfNull(served);
        var merged = served with
        {
            ClassNames = ClassNames ?? served.ClassNames,
            Normalization = Normalization ?? served.Normalization,
        };
        merged.Validate();
        return merged;
    }

    /// <summary>Throws <see cref="ArgumentException"/> when the class list or the feature names do not fit the model.</summary>
    public void Validate()
    {
        if (FeatureNames is { } features)
        {
            if (features.Count == 0 || features.Any(string.IsNullOrWhiteSpace) || features.Distinct(StringComparer.Ordinal).Count() != features.Count)
            {
                throw new ArgumentException($"The run's feature names must be distinct and non-empty, got '{string.Join(",", features)}'.");
            }

            if (Model is { IsTabular: true } tabular && tabular.InputShape.Width != features.Count)
            {
                throw new ArgumentException(
                    $"The run names {features.Count} feature columns ({string.Join(", ", features)}), but its model ({tabular.ToNativeSpec()}) takes {tabular.InputShape.Width}.");
            }
        }

        if (ClassNames is { } names)
        {
            if (names.Count < 2)
            {
                throw new ArgumentException($"--classes needs at least 2 class names, got {names.Count}.");
            }

            if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
            {
                throw new ArgumentException($"--classes names a class twice: {string.Join(",", names)}.");
            }

            if (Model is { IsLanguageModel: false } model && model.Classes != names.Count)
            {
                throw new ArgumentException($"--classes names {names.Count} classes, but the model ({model.ToNativeSpec()}) has {model.Classes}.");
            }
        }
    }
}
