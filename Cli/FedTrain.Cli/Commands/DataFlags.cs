using System.CommandLine;
using FedTrain.Core.Data.Formats;

namespace FedTrain.Cli.Commands;

/// <summary>How <c>--data</c> is read: its format, a table's columns, the run's class names. Shared by <c>worker</c>, <c>demo</c>, <c>coordinator</c> and <c>data inspect</c>.</summary>
internal sealed class DataFlags
{
    private readonly Option<string?> _format = new("--data-format") { Description = "Format of --data, detected from the path when left out: " + DataFormats.Summary + "." };
    private readonly Option<string?> _labelColumn = new("--label-column") { Description = "Tables: the column holding each row's class." };
    private readonly Option<string?> _featureColumns = new("--feature-columns") { Description = "Tables: the feature columns, comma-separated, in the model's order (default: every column but the label)." };
    private readonly Option<string?> _classes = new("--classes") { Description = "The run's class names in index order, comma-separated; table labels and image folders are mapped by it (default: the sorted distinct labels or folder names)." };
    private readonly Option<string?> _separator = new("--separator") { Description = "CSV separator: , ; | or tab (default: detected from the header)." };
    private readonly Option<double?> _maxSkipped = new("--max-skipped") { Description = "Image folders: the fraction of files that may be unreadable or of the wrong channels, skipped and counted (default 0.01); above it the data is refused." };
    private readonly Option<string?> _normalize = new("--normalize") { Description = "Images: MEAN,STD (or three means then three stds) after scaling pixels to [0, 1] (default Fashion-MNIST's for grey, ImageNet's for RGB)." };
    private readonly Option<int?> _cacheMb = new("--cache-mb") { Description = "Image folders and Parquet files larger than this many MiB decoded are read on demand, keeping at most this much decoded in memory (default: everything decoded into memory at start; not with --dp-sgd)." };
    private readonly Option<string?> _split = new("--split") { Description = "A table or image folder that holds both training and test examples: keep the train part (4/5 of the examples, by a seeded hash), the test part, or all (default)." };

    public void AddTo(Command command, bool withSplit)
    {
        foreach (var option in new Option[] { _format, _labelColumn, _featureColumns, _classes, _separator, _maxSkipped, _normalize, _cacheMb })
        {
            command.Options.Add(option);
        }

        if (withSplit)
        {
            command.Options.Add(_split);
        }
    }

    /// <summary>How to read <paramref name="path"/>, from the flags given.</summary>
    public DataSourceOptions Read(ParseResult parse, string path, ulong seed)
    {
        var defaults = new DataSourceOptions();
        var options = new DataSourceOptions
        {
            Path = path,
            Format = parse.GetValue(_format) is { } format ? DataFormats.Parse(format) : null,
            LabelColumn = parse.GetValue(_labelColumn),
            FeatureColumns = parse.GetValue(_featureColumns) is { } features ? List(features) : null,
            Separator = parse.GetValue(_separator) is { } separator ? Separator(separator) : null,
            MaxSkippedFraction = parse.GetValue(_maxSkipped) ?? defaults.MaxSkippedFraction,
            Split = parse.GetValue(_split) is { } split ? Split(split) : DataSplit.All,
            CacheBytes = parse.GetValue(_cacheMb) is { } megabytes ? (long)megabytes << 20 : null,
            SplitSeed = seed,
        };
        options.Validate();
        return options;
    }

    /// <summary>The run's class names (<c>--classes</c>), or null.</summary>
    public IReadOnlyList<string>? Classes(ParseResult parse) => parse.GetValue(_classes) is { } classes ? List(classes) : null;

    /// <summary>The image normalisation (<c>--normalize</c>), or null for the default.</summary>
    public ImageNormalization? Normalization(ParseResult parse) => parse.GetValue(_normalize) is { } text ? ImageNormalization.Parse(text) : null;

    /// <summary>The flags given, as arguments for a worker process the demo starts (the format and split aside: the demo sets them).</summary>
    public IEnumerable<string> Forward(ParseResult parse)
    {
        foreach (var option in new[] { _labelColumn, _featureColumns, _separator, _normalize })
        {
            if (parse.GetValue(option) is { } value)
            {
                yield return option.Name;
                yield return value;
            }
        }

        if (parse.GetValue(_maxSkipped) is { } maxSkipped)
        {
            yield return _maxSkipped.Name;
            yield return maxSkipped.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (parse.GetValue(_cacheMb) is { } cacheMb)
        {
            yield return _cacheMb.Name;
            yield return cacheMb.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private static List<string> List(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();

    private static char Separator(string text) => text switch
    {
        "tab" or "\\t" or "\t" => '\t',
        { Length: 1 } => text[0],
        _ => throw new ArgumentException($"--separator must be one character or 'tab', got '{text}'."),
    };

    private static DataSplit Split(string text) => text.Trim().ToLowerInvariant() switch
    {
        "all" => DataSplit.All,
        "train" => DataSplit.Train,
        "test" => DataSplit.Test,
        _ => throw new ArgumentException($"--split must be train, test or all, got '{text}'."),
    };
}
