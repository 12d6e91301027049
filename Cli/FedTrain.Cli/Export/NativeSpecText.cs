namespace FedTrain.Cli.Export;

/// <summary>The <c>key=value;...</c> model spec a checkpoint records, read back into its entries.</summary>
internal sealed class NativeSpecText
{
    private readonly List<KeyValuePair<string, string>> _entries;

    private NativeSpecText(List<KeyValuePair<string, string>> entries) => _entries = entries;

    public string Kind => this["kind"];

    public string this[string key] =>
        _entries.FirstOrDefault(e => e.Key == key).Value
        ?? throw new ExportException($"The checkpoint's model spec '{this}' has no '{key}'.");

    public static NativeSpecText Parse(string text)
    {
        var entries = new List<KeyValuePair<string, string>>();
        foreach (string part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ExportException($"The checkpoint's model spec '{text}' is malformed at '{part}'.");
            }

            entries.Add(new(part[..equals], part[(equals + 1)..]));
        }

        var spec = new NativeSpecText(entries);
        _ = spec.Kind;
        return spec;
    }

    public int[] Integers(string key) =>
        this[key].Length == 0 ? [] : this[key].Split(',').Select(v => int.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The same spec with one value replaced.</summary>
    public NativeSpecText With(string key, string value) =>
        new(_entries.Select(e => e.Key == key ? new KeyValuePair<string, string>(key, value) : e).ToList());

    public override string ToString() => string.Join(';', _entries.Select(e => $"{e.Key}={e.Value}"));
}
