using System.Globalization;

namespace FedTrain.Core.Data.Formats;

/// <summary>
/// Maps a table's label values to class indices by the run's class list. Values are compared as numbers when both
/// are numbers (so <c>1</c>, <c>1.0</c> and <c> 1</c> are one class), else as exact text.
/// </summary>
public sealed class LabelMap
{
    private readonly Dictionary<string, int> _indices = new(StringComparer.Ordinal);

    public LabelMap(IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ClassNames = classNames;
        for (int i = 0; i < classNames.Count; i++)
        {
            _indices.TryAdd(Key(classNames[i]), i);
        }
    }

    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The class index of <paramref name="value"/>, or -1 when it is not one of the classes.</summary>
    public int IndexOf(string value) => _indices.TryGetValue(Key(value), out int index) ? index : -1;

    /// <summary>
    /// The class list of a run that names none: the distinct values, in numeric order when all are numbers, else in
    /// ordinal order. Every worker of such a run must hold every class, or their indices would disagree.
    /// </summary>
    public static IReadOnlyList<string> Infer(IEnumerable<string> values)
    {
        var distinct = values.Select(v => v.Trim()).Distinct(StringComparer.Ordinal).ToList();
        bool numeric = distinct.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        return numeric
            ? distinct.GroupBy(Key).Select(g => g.First())
                .OrderBy(v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)).ToList()
            : distinct.Order(StringComparer.Ordinal).ToList();
    }

    private static string Key(string value)
    {
        string trimmed = value.Trim();
        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out double number)
            ? number.ToString("R", CultureInfo.InvariantCulture)
            : trimmed;
    }
}
