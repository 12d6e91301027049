using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedTrain.Bench;

/// <summary>Writes rows as an aligned table for people and as a JSON list for tools and the docs.</summary>
public static class BenchReport
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void WriteTable(TextWriter writer, IReadOnlyList<BenchRow> rows)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(rows);
        string[] header = ["suite", "case", "value", "unit", "reference", "unit", "ratio"];
        var cells = rows.Select(r => new[]
        {
            r.Suite, r.Case, Format(r.Value), r.Unit, Format(r.Reference), r.ReferenceUnit, r.Ratio.ToString("F2", CultureInfo.InvariantCulture),
        }).ToList();
        int[] widths = header.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();
        writer.WriteLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))));
        foreach (string[] row in cells)
        {
            writer.WriteLine(string.Join("  ", row.Select((c, i) => i is 2 or 4 or 6 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))));
        }
    }

    public static string ToJson(IReadOnlyList<BenchRow> rows) => JsonSerializer.Serialize(rows, JsonOptions);

    public static IReadOnlyList<BenchRow> FromJson(string json) =>
        JsonSerializer.Deserialize<List<BenchRow>>(json, JsonOptions) ?? [];

    private static string Format(double value) =>
        Math.Abs(value) >= 100 || value == 0 ? value.ToString("F1", CultureInfo.InvariantCulture) : value.ToString("G4", CultureInfo.InvariantCulture);
}
