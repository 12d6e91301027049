using System.Globalization;
using System.Numerics;
using Parquet;
using Parquet.Schema;

namespace FedTrain.Core.Data.Formats;

/// <summary>
/// One column of a Parquet row group as read, in its stored type. Values are converted where they are used, never
/// boxed: a file is read value by value at start and again for every row group decoded on demand, and a boxed value
/// per cell is garbage enough to grow the collector's budget by more than the data itself.
/// </summary>
internal abstract class ParquetColumn
{
    /// <summary>Reads <paramref name="field"/> of <paramref name="rowGroup"/>, refusing types that are neither numbers nor text.</summary>
    public static async Task<ParquetColumn> ReadAsync(ParquetRowGroupReader rowGroup, DataField field, int rows, CancellationToken cancellationToken)
    {
        Type type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var text = new string?[rows];
            await rowGroup.ReadAsync(field, text.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            return new TextColumn(text);
        }

        if (type == typeof(bool))
        {
            if (field.IsNullable)
            {
                var flags = new bool?[rows];
                await rowGroup.ReadAsync<bool>(field, flags.AsMemory(), null, cancellationToken).ConfigureAwait(false);
                return new BoolColumn(flags);
            }

            var values = new bool[rows];
            await rowGroup.ReadAsync(field, values.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            return new BoolColumn([.. values.Select(v => (bool?)v)]);
        }

        return type switch
        {
            _ when type == typeof(double) => await NumbersAsync<double>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(float) => await NumbersAsync<float>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(long) => await NumbersAsync<long>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(int) => await NumbersAsync<int>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(short) => await NumbersAsync<short>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(byte) => await NumbersAsync<byte>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(sbyte) => await NumbersAsync<sbyte>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(decimal) => await NumbersAsync<decimal>(rowGroup, field, rows, cancellationToken).ConfigureAwait(false),
            _ => throw new DataValidationException($"{field.Name}: Parquet columns of {type.Name} cannot be read as numbers or labels."),
        };
    }

    /// <summary>Row <paramref name="row"/> as a feature value; refuses a missing, non-numeric or non-finite one, naming the table's row and column.</summary>
    public abstract float Number(int row, RawTable table, long rowNumber, int feature);

    /// <summary>Row <paramref name="row"/> as label text; null where the value is missing.</summary>
    public abstract string? Text(int row);

    private static async Task<ParquetColumn> NumbersAsync<T>(ParquetRowGroupReader rowGroup, DataField field, int rows, CancellationToken cancellationToken)
        where T : struct, INumberBase<T>
    {
        if (field.IsNullable)
        {
            var nullable = new T?[rows];
            await rowGroup.ReadAsync<T>(field, nullable.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            return new NumberColumn<T>(nullable);
        }

        var values = new T[rows];
        await rowGroup.ReadAsync(field, values.AsMemory(), null, cancellationToken).ConfigureAwait(false);
        return new NumberColumn<T>([.. values.Select(v => (T?)v)]);
    }

    private static DataValidationException Missing(RawTable table, long rowNumber, int feature) =>
        new($"{table.Path}: {table.Where(rowNumber)}, column '{table.FeatureNames[feature]}': the value is missing (null).");

    private sealed class NumberColumn<T>(T?[] values) : ParquetColumn
        where T : struct, INumberBase<T>
    {
        public override float Number(int row, RawTable table, long rowNumber, int feature) =>
            values[row] is { } value ? table.Finite(double.CreateSaturating(value), rowNumber, feature) : throw Missing(table, rowNumber, feature);

        public override string? Text(int row) => values[row]?.ToString(null, CultureInfo.InvariantCulture);
    }

    private sealed class BoolColumn(bool?[] values) : ParquetColumn
    {
        public override float Number(int row, RawTable table, long rowNumber, int feature) =>
            values[row] is { } flag ? (flag ? 1f : 0f) : throw Missing(table, rowNumber, feature);

        public override string? Text(int row) => values[row]?.ToString(CultureInfo.InvariantCulture);
    }

    private sealed class TextColumn(string?[] values) : ParquetColumn
    {
        public override float Number(int row, RawTable table, long rowNumber, int feature) =>
            values[row] is { } text ? table.Parse(text, rowNumber, feature) : throw Missing(table, rowNumber, feature);

        public override string? Text(int row) => values[row];
    }
}
