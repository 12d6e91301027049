using System.Globalization;
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
                var labels = await ReadColumnAsync(rowGroup, fields[label], rows, cancellationToken).ConfigureAwait(false);
                var featureData = new Func<int, object?>[features.Length];
                for (int f = 0; f < features.Length; f++)
                {
                    featureData[f] = await ReadColumnAsync(rowGroup, fields[features[f]], rows, cancellationToken).ConfigureAwait(false);
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
                        values[f] = Value(table, featureData[f](r), rowNumber, f);
                    }

                    table.AddRow(Convert.ToString(labels(r), CultureInfo.InvariantCulture) ?? string.Empty, rowNumber, values);
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

    /// <summary>One column of a row group, read in its stored type, as a value per row (null where missing).</summary>
    internal static async Task<Func<int, object?>> ReadColumnAsync(ParquetRowGroupReader rowGroup, DataField field, int rows, CancellationToken cancellationToken)
    {
        Type type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var text = new string?[rows];
            await rowGroup.ReadAsync(field, text.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            return i => text[i];
        }

        return type switch
        {
            _ when type == typeof(double) => await ReadAsync<double>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(float) => await ReadAsync<float>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(long) => await ReadAsync<long>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(int) => await ReadAsync<int>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(short) => await ReadAsync<short>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(byte) => await ReadAsync<byte>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(sbyte) => await ReadAsync<sbyte>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(bool) => await ReadAsync<bool>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(decimal) => await ReadAsync<decimal>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ => throw new DataValidationException($"{field.Name}: Parquet columns of {type.Name} cannot be read as numbers or labels."),
        };
    }

    private static async Task<Func<int, object?>> ReadAsync<T>(ParquetRowGroupReader rowGroup, DataField field, int rows, CancellationToken cancellationToken)
        where T : struct
    {
        if (field.IsNullable)
        {
            var nullable = new T?[rows];
            await rowGroup.ReadAsync<T>(field, nullable.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            return i => nullable[i];
        }

        var values = new T[rows];
        await rowGroup.ReadAsync(field, values.AsMemory(), null, cancellationToken).ConfigureAwait(false);
        return i => values[i];
    }

    internal static float Value(RawTable table, object? value, long rowNumber, int feature) => value switch
    {
        null => throw new DataValidationException(
            $"{table.Path}: {table.Where(rowNumber)}, column '{table.FeatureNames[feature]}': the value is missing (null)."),
        string text => table.Parse(text, rowNumber, feature),
        bool flag => flag ? 1f : 0f,
        IConvertible number when value is not (DateTime or char) => table.Finite(number.ToDouble(CultureInfo.InvariantCulture), rowNumber, feature),
        _ => throw new DataValidationException(
            $"{table.Path}: {table.Where(rowNumber)}, column '{table.FeatureNames[feature]}': a {value.GetType().Name} is not a number."),
    };
}
