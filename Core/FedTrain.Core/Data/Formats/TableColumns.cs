namespace FedTrain.Core.Data.Formats;

/// <summary>
/// Which of a table's columns are the label and the features, in the model's input order: the run's feature names
/// when it names them (found by name, whatever the file's column order; other columns are left out), else the
/// owner's <c>--feature-columns</c>, else every column but the label.
/// </summary>
internal static class TableColumns
{
    /// <summary>Indices of the label and feature columns among <paramref name="columns"/>, refusing any that is missing.</summary>
    /// <param name="runFeatures">The run's feature names (<see cref="DataContract.FeatureNames"/>); null when it names none.</param>
    public static (int Label, int[] Features) Resolve(string path, IReadOnlyList<string> columns, DataSourceOptions options, IReadOnlyList<string>? runFeatures)
    {
        string label = options.LabelColumn
            ?? throw new DataValidationException($"{path} is a table: name its label column with --label-column (its columns: {string.Join(", ", columns)}).");
        int labelIndex = IndexOf(path, columns, label, "label");
        if (runFeatures is not null)
        {
            return (labelIndex, RunFeatures(path, columns, options, label, runFeatures));
        }

        var features = options.FeatureColumns is { } names
            ? names.Select(n => IndexOf(path, columns, n, "feature")).ToArray()
            : Enumerable.Range(0, columns.Count).Where(i => i != labelIndex).ToArray();
        if (features.Length == 0)
        {
            throw new DataValidationException($"{path} has no feature columns besides the label '{label}'.");
        }

        return (labelIndex, features);
    }

    private static int[] RunFeatures(string path, IReadOnlyList<string> columns, DataSourceOptions options, string label, IReadOnlyList<string> runFeatures)
    {
        string run = string.Join(", ", runFeatures);
        // The owner's list can only restate the run's: the model's inputs are the run's columns, in the run's order.
        if (options.FeatureColumns is { } own && !own.ToHashSet(StringComparer.Ordinal).SetEquals(runFeatures))
        {
            throw new DataValidationException(
                $"--feature-columns ({string.Join(", ", own)}) differs from the run's feature columns ({run}); the run's model takes its columns by name, in its order: leave --feature-columns out.");
        }

        if (runFeatures.Contains(label, StringComparer.Ordinal))
        {
            throw new DataValidationException($"{path}: the label column '{label}' is one of the run's feature columns ({run}); name the column holding the class with --label-column.");
        }

        var missing = runFeatures.Where(n => !columns.Contains(n, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            string names = string.Join(", ", missing.Select(n => $"'{n}'"));
            throw new DataValidationException(
                $"{path} has no column {names}, which the run takes as {(missing.Count == 1 ? "a feature" : "features")} (the run's feature columns: {run}); its columns: {string.Join(", ", columns)}.");
        }

        return runFeatures.Select(n => IndexOf(path, columns, n, "feature")).ToArray();
    }

    private static int IndexOf(string path, IReadOnlyList<string> columns, string name, string role)
    {
        for (int i = 0; i < columns.Count; i++)
        {
            if (string.Equals(columns[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new DataValidationException($"{path} has no {role} column '{name}'; its columns: {string.Join(", ", columns)}.");
    }
}
