using FedTrain.Coordinator;
using FedTrain.Core.Data.Formats;
using FedTrain.Core.Models;

namespace FedTrain.Cli.Commands;

/// <summary>
/// The demo on a data owner's own formats: reads <c>--data</c> once to fit the model to it (a table's feature and
/// class counts, an image folder's classes), gives the coordinator its test part (the same file's held-out fifth
/// unless <c>--test-data</c> names another), and says what each worker must be told to read its part the same way.
/// </summary>
internal static class DemoData
{
    /// <summary>Adjusts <paramref name="options"/> and returns the extra arguments for every worker.</summary>
    public static IReadOnlyList<string> Prepare(CoordinatorOptions options, DataSourceOptions source, DataContract requested, bool testDataGiven, CancellationToken cancellationToken)
    {
        var format = source.Format ?? DataFormats.Detect(source.Path, options.Model.IsLanguageModel);
        if (format is DataFormat.Idx or DataFormat.Text)
        {
            return [];
        }

        // The shape is read from the data itself here: the model is fitted to it below.
        var whole = DataSourceLoader.Load(source with { Format = format, Split = DataSplit.All }, requested with { Model = null }, cancellationToken);
        var examples = whole.Examples;
        bool rows = format is DataFormat.Csv or DataFormat.Parquet || (examples.Channels, examples.Height) == (1, 1);
        if (rows || options.Model.IsTabular)
        {
            if (options.Model == ModelSpec.FashionMnistCnn)
            {
                // No --model: rows of features train the zoo's tabular model, with its training preset.
                options.Training = TrainingPresets.Mlp with { Seed = options.Training.Seed };
                options.Model = ModelSpec.TabularMlp(examples.PixelsPerImage, whole.ClassNames.Count);
            }
            else if (options.Model.IsTabular)
            {
                options.Model = options.Model with { Width = examples.PixelsPerImage, Classes = whole.ClassNames.Count };
            }
        }
        else if (options.Model.Kind is "cnn" or "vit")
        {
            options.Model = options.Model with { Classes = whole.ClassNames.Count };
        }

        options.Model.Validate();
        bool named = format is DataFormat.Csv or DataFormat.Parquet or DataFormat.Images || requested.ClassNames is not null;
        options.ClassNames = named ? whole.ClassNames : null;
        options.TestDataSource = testDataGiven
            ? source with { Path = options.TestDataDirectory, Format = null, Split = DataSplit.All }
            : source with { Format = format, Split = DataSplit.Test };
        var arguments = new List<string> { "--data-format", DataFormats.Name(format), "--model", options.Model.ToNativeSpec() };
        if (options.ClassNames is { } classes)
        {
            arguments.AddRange(["--classes", string.Join(',', classes)]);
        }

        if (!testDataGiven)
        {
            arguments.AddRange(["--split", "train"]);
        }

        return arguments;
    }
}
