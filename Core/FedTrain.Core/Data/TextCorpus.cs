namespace FedTrain.Core.Data;

/// <summary>
/// A folder of plain-text files read as bytes for a byte-level language model. Each file is a category (Debian's
/// <c>fortunes</c> files: computers, food, law, ...), which gives a natural non-IID split: a client's text comes
/// from a few categories. Examples are windows of <c>window</c> byte ids (stored as floats, 1×1×window) cut every
/// window − 1 bytes, so every byte is a next-token target once; the label of a window is its file's category.
/// The last <see cref="TestFraction"/> of every file's windows is the test split; the rest is the training split.
/// </summary>
public static class TextCorpus
{
    /// <summary>Where Debian's <c>fortunes</c> package installs its cookie files.</summary>
    public const string FortunesDirectory = "/usr/share/games/fortunes";

    /// <summary>Byte-level vocabulary.</summary>
    public const int Vocabulary = 256;

    /// <summary>Share of each file's windows (its tail) held out as the test split.</summary>
    public const double TestFraction = 0.1;

    /// <summary>
    /// Loads the training or test windows. Files are the folder's regular files whose names have no extension or end in
    /// <c>.txt</c> (fortune's <c>.dat</c> indexes and <c>.u8</c> links are skipped), in name order; fortune's <c>%</c>
    /// separator lines are dropped so the model sees the text alone.
    /// </summary>
    /// <param name="directory">Folder of text files.</param>
    /// <param name="window">Bytes per example: the model's context length plus one.</param>
    /// <param name="train">True for the training split.</param>
    /// <param name="limit">Keep at most this many windows, evenly spaced over the corpus; null for all.</param>
    public static ImageDataset Load(string directory, int window, bool train, int? limit = null)
    {
        if (window < 2)
        {
            throw new ArgumentException($"A text window needs at least 2 bytes (one context, one target), got {window}.", nameof(window));
        }

        string[] files = CategoryFiles(directory);
        var windows = new List<(int File, long Offset)>();
        var texts = new byte[files.Length][];
        for (int f = 0; f < files.Length; f++)
        {
            texts[f] = ReadText(files[f]);
            int count = texts[f].Length < window ? 0 : (int)((texts[f].Length - 1) / (window - 1));
            int testCount = (int)Math.Ceiling(count * TestFraction);
            int first = train ? 0 : count - testCount;
            int end = train ? count - testCount : count;
            for (int w = first; w < end; w++)
            {
                windows.Add((f, (long)w * (window - 1)));
            }
        }

        if (windows.Count == 0)
        {
            throw new InvalidDataException($"{directory}: the text files hold no {(train ? "training" : "test")} windows of {window} bytes.");
        }

        var kept = limit is { } max && max < windows.Count
            ? Enumerable.Range(0, max).Select(i => windows[(int)((long)i * windows.Count / max)]).ToList()
            : windows;
        var ids = new float[(long)kept.Count * window];
        var labels = new long[kept.Count];
        for (int i = 0; i < kept.Count; i++)
        {
            var (file, offset) = kept[i];
            labels[i] = file;
            var bytes = texts[file].AsSpan((int)offset, window);
            for (int j = 0; j < window; j++)
            {
                ids[((long)i * window) + j] = bytes[j];
            }
        }

        return new ImageDataset(ids, labels, 1, 1, window, Vocabulary);
    }

    /// <summary>The category files, in ordinal name order (the category index is the position).</summary>
    /// <summary>A data owner's <c>.txt</c> files, or fortune-style files without an extension (not its <c>.dat</c> indexes).</summary>
    private static bool IsTextFile(string path)
    {
        string name = Path.GetFileName(path);
        return !name.Contains('.', StringComparison.Ordinal) || (name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) && name[0] != '.');
    }

    public static string[] CategoryFiles(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new FileNotFoundException(
                $"No text corpus folder {directory}. Install Debian's fortunes package or pass a folder of text files.", directory);
        }

        string[] files = Directory.GetFiles(directory)
            .Where(path => IsTextFile(path) && new FileInfo(path).LinkTarget is null)
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0)
        {
            throw new FileNotFoundException($"{directory} holds no text files (files without an extension).", directory);
        }

        if (files.Length > Vocabulary)
        {
            throw new InvalidDataException($"{directory} holds {files.Length} text files; at most {Vocabulary} categories are supported.");
        }

        return files;
    }

    private static byte[] ReadText(string path)
    {
        byte[] raw = File.ReadAllBytes(path);
        var text = new List<byte>(raw.Length);
        int lineStart = 0;
        for (int i = 0; i <= raw.Length; i++)
        {
            if (i == raw.Length || raw[i] == (byte)'\n')
            {
                int length = i - lineStart;
                bool separator = length == 1 && raw[lineStart] == (byte)'%';
                if (!separator && length + (i < raw.Length ? 1 : 0) > 0)
                {
                    text.AddRange(raw.AsSpan(lineStart, Math.Min(length + 1, raw.Length - lineStart)));
                }

                lineStart = i + 1;
            }
        }

        return [.. text];
    }
}
