using System.Collections;

namespace FedTrain.Rpc;

/// <summary>
/// gRPC custom metadata (request headers, trailing metadata). Keys are case-insensitive and stored lowercase;
/// keys ending in <c>-bin</c> carry bytes (base64 on the wire), all others printable ASCII text.
/// </summary>
public sealed class Metadata : IEnumerable<Metadata.Entry>
{
    private const string BinarySuffix = "-bin";

    private readonly List<Entry> _entries = [];

    /// <summary>Number of entries; a key added twice counts twice.</summary>
    public int Count => _entries.Count;

    /// <summary>Adds a text entry. The key must not end in <c>-bin</c>; the value must be printable ASCII.</summary>
    public void Add(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var normalized = NormalizeKey(key);
        if (IsBinaryKey(normalized))
        {
            throw new ArgumentException($"Metadata key '{normalized}' ends in '-bin' and needs a byte[] value.", nameof(key));
        }

        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                throw new ArgumentException(
                    $"Metadata value for '{normalized}' must be printable ASCII; use a '-bin' key for other data.", nameof(value));
            }
        }

        _entries.Add(new Entry(normalized, value, null));
    }

    /// <summary>Adds a binary entry. The key must end in <c>-bin</c>.</summary>
    public void Add(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var normalized = NormalizeKey(key);
        if (!IsBinaryKey(normalized))
        {
            throw new ArgumentException($"Binary metadata key '{normalized}' must end in '-bin'.", nameof(key));
        }

        _entries.Add(new Entry(normalized, null, value));
    }

    /// <summary>The last text value for <paramref name="key"/>, or null when there is none.</summary>
    public string? GetValue(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            var entry = _entries[i];
            if (entry.Value is not null && string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return entry.Value;
            }
        }

        return null;
    }

    /// <summary>The last binary value for <paramref name="key"/> (a <c>-bin</c> key), or null when there is none.</summary>
    public byte[]? GetBytes(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            var entry = _entries[i];
            if (entry.ValueBytes is not null && string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return entry.ValueBytes;
            }
        }

        return null;
    }

    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal static bool IsBinaryKey(string key) => key.EndsWith(BinarySuffix, StringComparison.OrdinalIgnoreCase);

    // Entries that arrived off the wire were validated by the HTTP layer already; only the key case differs.
    internal void AddReceived(string key, string value) => _entries.Add(new Entry(key.ToLowerInvariant(), value, null));

    internal void AddReceived(string key, byte[] value) => _entries.Add(new Entry(key.ToLowerInvariant(), null, value));

    internal void AddRange(Metadata other) => _entries.AddRange(other._entries);

    private static string NormalizeKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var normalized = key.ToLowerInvariant();
        foreach (var c in normalized)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.'))
            {
                throw new ArgumentException($"Metadata key '{key}' may only contain [0-9a-z_.-].", nameof(key));
            }
        }

        return normalized;
    }

    /// <summary>One metadata entry: exactly one of <see cref="Value"/> and <see cref="ValueBytes"/> is set.</summary>
    public sealed record Entry(string Key, string? Value, byte[]? ValueBytes)
    {
        public bool IsBinary => ValueBytes is not null;
    }
}
