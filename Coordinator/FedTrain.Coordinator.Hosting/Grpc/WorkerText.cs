using System.Globalization;
using System.Text;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// The one filter for free text a worker sends (its device name, a failure reason, a run id it quotes) before the
/// text reaches a log line, the database, summary.json or the demo's console: control, format and separator
/// characters become spaces (so a worker cannot forge log lines, move the terminal's cursor or reorder text with
/// bidirectional overrides), runs of spaces collapse, and the result is cut to a length limit.
/// </summary>
internal static class WorkerText
{
    /// <summary>Device names: "cpu", "cuda:0", a GPU's marketing name.</summary>
    public const int MaxDeviceLength = 64;

    /// <summary>Failure reasons and other sentences.</summary>
    public const int MaxReasonLength = 200;

    /// <summary>Identifiers quoted back in refusals (a run id that is not this run's).</summary>
    public const int MaxQuotedIdLength = 64;

    private const char Ellipsis = '…';

    /// <summary>The printable, bounded form of <paramref name="text"/> (empty for null).</summary>
    public static string Clean(string? text, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        // Only the first few multiples of the limit can matter, so an oversized string costs no more than a short one.
        var source = text.AsSpan(0, Math.Min(text.Length, maxLength * 4));
        var builder = new StringBuilder(Math.Min(source.Length, maxLength + 1));
        bool pendingSpace = false;
        foreach (var rune in source.EnumerateRunes())
        {
            if (IsUnsafe(rune) || Rune.IsWhiteSpace(rune))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(rune.ToString());
            if (builder.Length > maxLength)
            {
                break;
            }
        }

        if (builder.Length <= maxLength && source.Length == text.Length)
        {
            return builder.ToString();
        }

        // Cut on a character boundary, leaving room for the mark that says text was cut.
        int keep = Math.Min(builder.Length, maxLength - 1);
        if (keep > 0 && char.IsHighSurrogate(builder[keep - 1]))
        {
            keep--;
        }

        return builder.ToString(0, keep).TrimEnd() + Ellipsis;
    }

    private static bool IsUnsafe(Rune rune) => Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
        or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
}
