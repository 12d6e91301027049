namespace FedTrain.Rpc;

/// <summary>Base64 for <c>-bin</c> metadata: we emit unpadded (as gRPC C-core does) and accept both forms.</summary>
internal static class BinaryHeader
{
    public static string Encode(ReadOnlySpan<byte> value) => Convert.ToBase64String(value).TrimEnd('=');

    public static bool TryDecode(string value, out byte[] bytes)
    {
        bytes = [];
        var trimmed = value.Trim();
        var padding = (trimmed.Length % 4) switch
        {
            0 => 0,
            2 => 2,
            3 => 1,
            _ => -1,
        };
        if (padding < 0)
        {
            return false;
        }

        var padded = padding == 0 ? trimmed : trimmed + new string('=', padding);
        var buffer = new byte[padded.Length / 4 * 3];
        if (!Convert.TryFromBase64String(padded, buffer, out var written))
        {
            return false;
        }

        bytes = written == buffer.Length ? buffer : buffer[..written];
        return true;
    }

    /// <summary>Splits a possibly comma-joined header value (duplicate keys may be folded) and decodes each part.</summary>
    public static bool TryDecodeAll(string value, List<byte[]> results)
    {
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!TryDecode(part, out var bytes))
            {
                return false;
            }

            results.Add(bytes);
        }

        return true;
    }
}
