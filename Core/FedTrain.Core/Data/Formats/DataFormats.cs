namespace FedTrain.Core.Data.Formats;

/// <summary>Names the formats on the command line and detects a path's format from what it holds.</summary>
public static class DataFormats
{
    /// <summary>Image file extensions an image folder's classes may hold (lower case, with the dot).</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];

    /// <summary>The command-line names, in the order help lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["idx", "images", "csv", "parquet", "text", "npy", "safetensors"];

    /// <summary>One line per format for <c>--help</c> and messages.</summary>
    public const string Summary =
        "images (DIR/<class>/*.png|jpg|jpeg|bmp|webp), csv (CSV/TSV file with a header; --label-column), parquet (file; --label-column), "
        + "text (folder of UTF-8 files, for lm), npy (folder with x.npy and y.npy), safetensors (file with tensors x and y), idx (MNIST's IDX files)";

    public static string Name(DataFormat format) => Names[(int)format];

    /// <summary>Reads a <c>--data-format</c> value.</summary>
    public static DataFormat Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string name = text.Trim().ToLowerInvariant();
        if (name is "tsv")
        {
            return DataFormat.Csv;
        }

        int index = Names.ToList().IndexOf(name);
        return index >= 0
            ? (DataFormat)index
            : throw new ArgumentException($"Unknown data format '{text}'; known formats: {string.Join(", ", Names)}.", nameof(text));
    }

    /// <summary>
    /// The format of <paramref name="path"/>: a file by its extension; a folder by its content (IDX files, an
    /// <c>x.npy</c>/<c>y.npy</c> pair, class folders of images, else text files). A language model reads text.
    /// </summary>
    public static DataFormat Detect(string path, bool languageModel = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path))
        {
            return Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".csv" or ".tsv" or ".tab" or ".txt" => DataFormat.Csv,
                ".parquet" or ".pq" => DataFormat.Parquet,
                ".safetensors" => DataFormat.Safetensors,
                ".npy" => DataFormat.Npy,
                string other => throw new ArgumentException(
                    $"Cannot tell the format of {path} from its extension '{other}'; pass --data-format ({string.Join(", ", Names)})."),
            };
        }

        if (!Directory.Exists(path))
        {
            throw new FileNotFoundException($"--data {path}: no such file or folder.", path);
        }

        if (languageModel)
        {
            return DataFormat.Text;
        }

        if (Directory.EnumerateFiles(path, "*-idx?-ubyte*").Any())
        {
            return DataFormat.Idx;
        }

        if (File.Exists(Path.Combine(path, "x.npy")) && File.Exists(Path.Combine(path, "y.npy")))
        {
            return DataFormat.Npy;
        }

        if (Directory.EnumerateDirectories(path).Any(d => Directory.EnumerateFiles(d).Any(IsImageFile)))
        {
            return DataFormat.Images;
        }

        return DataFormat.Text;
    }

    /// <summary>Whether a file's extension is one an image folder holds.</summary>
    public static bool IsImageFile(string path) =>
        ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());
}
