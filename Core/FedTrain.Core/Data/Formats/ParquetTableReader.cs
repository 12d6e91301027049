using Parquet;
using Parquet.Schema;

namespace FedTrain.Core.Data.Formats;

/// <summary>
/// Reads a Parquet file through Parquet.Net (MIT, fully managed), one row group at a time, so only the columns the
/// model takes and one row group's worth of them are decoded at once.
/// </summary>
internal static class ParquetTableReader
{
    public static async Task<RawTable> ReadAsync(DataSourceOptions options, IReadOnlyList<string>? runFeatures, CancellationToken cancellationToken)
    {
        var stream = File.OpenRead(options.Path);
        await using (stream.ConfigureAwait(false))
        {
            var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            DataField[] fields = reader.Schema.GetDataFields();
            var columns = fields.Select(f => f.Name).ToArray();
            var (label, features) = TableColumns.Resolve(options.Path, columns, options, runFeatures);
            var groupStarts = new long[reader.RowGroupCount + 1];
            for (int group = 0; group < reader.RowGroupCount; group++)
            {
                using var counted = reader.OpenRowGroupReader(group);
                groupStarts[group + 1] = groupStarts[group] + counted.RowCount;
            }

            // On demand when the decoded rows would not fit the cache: checked here as they are read, kept nowhere.
            bool lazy = options.CacheBytes is { } cache && 4L * features.Length * groupStarts[^1] > cache;
            var table = new RawTable(options.Path, features.Select(i => columns[i]).ToArray(), columns[label], "row") { KeepValues = !lazy };
            if (lazy)
            {
                table.OnDemand = new ParquetRowSource(options.Path, table, features, groupStarts, options.CacheBytes!.Value);
            }

            long first = 0;
            for (int group = 0; group < reader.RowGroupCount; group++)
            {
                using var rowGroup = reader.OpenRowGroupReader(group);
                int rows = checked((int)rowGroup.RowCount);
                var labels = await ParquetColumn.ReadAsync(rowGroup, fields[label], rows, cancellationToken).ConfigureAwait(false);
                var featureData = new ParquetColumn[features.Length];
                for (int f = 0; f < features.Length; f++)
                {
                    featureData[f] = await ParquetColumn.ReadAsync(rowGroup, fields[features[f]], rows, cancellationToken).ConfigureAwait(false);
                }

                var values = new float[features.Length];
                for (int r = 0; r < rows; r++)
                {
                    long index = first + r;
                    if (!SplitRows.Keep(options, index))
                    {
                        continue;
                    }

                    // Rows are counted from 1, as a data owner would count them in a table viewer.
                    long rowNumber = index + 1;
                    for (int f = 0; f < features.Length; f++)
                    {
                        values[f] = featureData[f].Number(r, table, rowNumber, f);
                    }

                    table.AddRow(labels.Text(r) ?? string.Empty, rowNumber, values);
                    if (table.Labels.Count == options.Limit)
                    {
                        return table;
                    }
                }

                first += rows;
            }

            return table;
        }
    }
}
