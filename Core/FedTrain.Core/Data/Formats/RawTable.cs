using System.Globalization;

namespace FedTrain.Core.Data.Formats;

/// <summary>
/// A table's rows as read, before labels become class indices: each row's label text, its feature values (row-major)
/// and where it came from (a line of a CSV file, a row of a Parquet file), so a refusal can name it.
/// </summary>
internal sealed class RawTable(string path, IReadOnlyList<string> featureNames, string labelColumn, string rowWord)
{
    private const int PreviewRows = 5;

    public string Path { get; } = path;

    public IReadOnlyList<string> FeatureNames { get; } = featureNames;

    public string LabelColumn { get; } = labelColumn;

    public List<string> Labels { get; } = [];

    public List<long> RowNumbers { get; } = [];

    public List<float> Values { get; } = [];

    /// <summary>False for a table read on demand: rows are checked as they are read but their values not kept.</summary>
    public bool KeepValues { get; init; } = true;

    /// <summary>For a table read on demand: the source of its rows, given as 0-based row indices of the file.</summary>
    public IExampleSource? OnDemand { get; set; }

    private readonly Dictionary<string, string> _labelTexts = new(StringComparer.Ordinal);

    private List<float[]> Preview { get; } = [];

    /// <summary>Parses one feature value, refusing text and non-finite numbers with the row and column.</summary>
    public float Parse(ReadOnlySpan<char> text, long rowNumber, int feature)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && !NonFinite(text, out value))
        {
            throw new DataValidationException(
                $"{Path}: {Where(rowNumber)}, column '{FeatureNames[feature]}': '{text.ToString()}' is not a number; "
                + "feature columns must be numeric (leave text columns out with --feature-columns, or encode them).");
        }

        return Finite(value, rowNumber, feature);
    }

    /// <summary>NumPy's and pandas' spellings of infinity, read so that they are refused as such, not as text.</summary>
    private static bool NonFinite(ReadOnlySpan<char> text, out double value)
    {
        string word = text.ToString().ToLowerInvariant();
        value = word switch
        {
            "inf" or "+inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            _ => 0,
        };
        return value != 0;
    }

    /// <summary>Refuses NaN, infinities and values beyond float32.</summary>
    public float Finite(double value, long rowNumber, int feature)
    {
        float single = (float)value;
        if (!float.IsFinite(single))
        {
            throw new DataValidationException(
                $"{Path}: {Where(rowNumber)}, column '{FeatureNames[feature]}': {value.ToString(CultureInfo.InvariantCulture)} is not a finite number.");
        }

        return single;
    }

    public void AddRow(string label, long rowNumber, ReadOnlySpan<float> features)
    {
        if (label.Trim().Length == 0)
        {
            throw new DataValidationException($"{Path}: {Where(rowNumber)}: the label column '{LabelColumn}' is empty.");
        }

        // One string per distinct label: a table read on demand keeps only its labels and row numbers in memory, and
        // those are usually a few classes over many rows.
        string text = label.Trim();
        if (!_labelTexts.TryGetValue(text, out string? shared))
        {
            _labelTexts[text] = shared = text;
        }

        Labels.Add(shared);
        RowNumbers.Add(rowNumber);
        if (Preview.Count < PreviewRows)
        {
            Preview.Add(features.ToArray());
        }

        if (KeepValues)
        {
            foreach (float value in features)
            {
                Values.Add(value);
            }
        }
    }

    public string Where(long rowNumber) => string.Create(CultureInfo.InvariantCulture, $"{rowWord} {rowNumber}");

    /// <summary>
    /// Maps the labels to indices by the run's class list (or the inferred one), refusing a value outside it and a
    /// class without rows, and returns the examples as 1×1×D rows.
    /// </summary>
    public LoadedData ToLoadedData(DataFormat format, IReadOnlyList<string>? classNames)
    {
        if (Labels.Count == 0)
        {
            throw new DataValidationException($"{Path} holds no rows.");
        }

        var classes = classNames ?? LabelMap.Infer(Labels);
        if (classes.Count < 2)
        {
            throw new DataValidationException(
                $"{Path}: the label column '{LabelColumn}' holds only the class '{classes[0]}'; a classifier needs at least 2 classes.");
        }

        var map = new LabelMap(classes);
        var labels = new long[Labels.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            int index = map.IndexOf(Labels[i]);
            if (index < 0)
            {
                throw new DataValidationException(
                    $"{Path}: {Where(RowNumbers[i])}: label '{Labels[i]}' in column '{LabelColumn}' is not one of the run's classes ({string.Join(", ", classes)}).");
            }

            labels[i] = index;
        }

        var dataset = OnDemand is { } source
            ? new ImageDataset(source, RowNumbers.Select(r => r - 1).ToArray(), labels, 1, 1, FeatureNames.Count, classes.Count)
            : new ImageDataset(Values.ToArray(), labels, 1, 1, FeatureNames.Count, classes.Count);
        var histogram = dataset.LabelHistogram();
        int empty = Array.IndexOf(histogram, 0L);
        if (empty >= 0)
        {
            throw new DataValidationException(
                $"{Path}: class '{classes[empty]}' has no rows (column '{LabelColumn}'); every class of the run needs examples, or name the classes this data holds with --classes.");
        }

        var preview = Preview.Select((values, i) => (Labels[i], values)).ToList();
        if (OnDemand is not null)
        {
            // The row source names rows and columns through this table for as long as the worker trains; the data set
            // now holds the labels and row indices, so the per-row lists are let go rather than kept alongside.
            Labels.Clear();
            Labels.TrimExcess();
            RowNumbers.Clear();
            RowNumbers.TrimExcess();
        }

        return new LoadedData(dataset, format, classes)
        {
            FeatureNames = FeatureNames,
            FirstRows = preview,
            Preprocessing = "per-feature standardisation with this worker's own statistics (computed on its training split)"
                + (OnDemand is null ? string.Empty : "; rows read on demand, a row group at a time"),
        };
    }
}
