using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedTrain.Coordinator.Storage;

/// <summary>How values are written to and read from either database, so both read back identically.</summary>
internal static class StoredValues
{
    // A diverged model's per-class figures can be NaN; keep them rather than fail the commit.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static string ToJson<T>(T value) => JsonSerializer.Serialize(value, Json);

    public static T FromJson<T>(string json) where T : new() => JsonSerializer.Deserialize<T>(json, Json) ?? new T();

    public static T? FromJsonOrNull<T>(string json) where T : class => JsonSerializer.Deserialize<T>(json, Json);

    public static string Time(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    /// <summary>SQLite refuses NaN: a diverged model's loss is stored as NULL (in both databases) and read back as NaN.</summary>
    public static object Finite(double value) => double.IsFinite(value) ? value : DBNull.Value;

    public static object Nullable(double? value) => value is { } v ? Finite(v) : DBNull.Value;

    public static double? NullableDouble(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

    public static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long Long(DbDataReader reader, int ordinal) => Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    public static int Int(DbDataReader reader, int ordinal) => Convert.ToInt32(reader.GetValue(ordinal), CultureInfo.InvariantCulture);
}
