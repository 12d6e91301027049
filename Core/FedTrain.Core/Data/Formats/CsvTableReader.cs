using nietras.SeparatedValues;

namespace FedTrain.Core.Data.Formats;

/// <summary>
/// Reads a CSV or TSV file with a header row through Sep (MIT): quoted names and values are unescaped, the separator
/// (<c>,</c> <c>;</c> tab or <c>|</c>) is detected from the header unless given.
/// </summary>
internal static class CsvTableReader
{
    public static RawTable Read(DataSourceOptions options, IReadOnlyList<string>? runFeatures, CancellationToken cancellationToken)
    {
        var sepOptions = new SepReaderOptions(options.Separator is { } c ? new Sep(c) : null) { Unescape = true, Trim = SepTrim.All };
        using var reader = sepOptions.FromFile(options.Path);
        var columns = reader.Header.ColNames;
        var (label, features) = TableColumns.Resolve(options.Path, columns, options, runFeatures);
        var table = new RawTable(options.Path, features.Select(i => columns[i]).ToArray(), columns[label], "line");
        var values = new float[features.Length];
        long index = -1;
        foreach (var row in reader)
        {
            cancellationToken.ThrowIfCancellationRequested();
            index++;
            if (!SplitRows.Keep(options, index))
            {
                continue;
            }

            // The 1-based line a text editor shows (the header is line 1); a quoted field may span lines.
            long line = row.LineNumberFrom;
            if (row.ColCount != columns.Count)
            {
                throw new DataValidationException($"{options.Path}: line {line} has {row.ColCount} fields, the header {columns.Count}.");
            }

            for (int f = 0; f < features.Length; f++)
            {
                values[f] = table.Parse(row[features[f]].Span, line, f);
            }

            table.AddRow(row[label].ToString(), line, values);
            if (table.Labels.Count == options.Limit)
            {
                break;
            }
        }

        return table;
    }
}
