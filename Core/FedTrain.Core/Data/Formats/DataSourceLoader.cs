using System.Globalization;

namespace FedTrain.Core.Data.Formats;

/// <summary>
/// Reads a data owner's data in whichever format it has and checks it against the run's data contract: the input
/// shape or feature count, the class list, readable files and finite values. Throws
/// <see cref="DataValidationException"/> naming the file, row or class otherwise.
/// </summary>
public static class DataSourceLoader
{
    public static LoadedData Load(DataSourceOptions options, DataContract contract, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(contract);
        options.Validate();
        contract.Validate();
        var model = contract.Model;
        var format = options.Format ?? DataFormats.Detect(options.Path, model?.IsLanguageModel == true);
        if (format is DataFormat.Text != (model?.IsLanguageModel == true) && model is not null && model.Kind != Models.ModelSpec.TorchScriptKind)
        {
            throw new DataValidationException(format == DataFormat.Text
                ? $"{options.Path} is read as text, which only the language model (lm) takes; the run's model is {model.Kind}. Pass --data-format if the folder is another format."
                : $"The run's model is a language model, which reads a folder of text files; {options.Path} is {DataFormats.Name(format)}.");
        }

        var loaded = format switch
        {
            DataFormat.Idx => Named(FashionMnist.Load(options.Path, options.Train, options.Limit), format, contract),
            DataFormat.Text => new LoadedData(
                TextCorpus.Load(options.Path, (model?.InputShape.Width) ?? 65, options.Train, options.Limit), format, ["text"]),
            DataFormat.Images => ImageFolderReader.Read(options, contract, cancellationToken),
            DataFormat.Csv => CsvTableReader.Read(options, contract.FeatureNames, cancellationToken).ToLoadedData(format, contract.ClassNames),
            // Parquet.Net only reads asynchronously; loading is a one-off at start, on a thread that waits anyway.
            DataFormat.Parquet => ParquetTableReader.ReadAsync(options, contract.FeatureNames, cancellationToken).GetAwaiter().GetResult().ToLoadedData(format, contract.ClassNames),
            DataFormat.Npy => NpyReader.ReadPair(options, contract),
            DataFormat.Safetensors => SafetensorsArrayReader.Read(options, contract),
            _ => throw new ArgumentOutOfRangeException(nameof(options), format, "Unknown data format."),
        };
        if (model is not null && model.Kind != Models.ModelSpec.TorchScriptKind)
        {
            CheckAgainstModel(options.Path, loaded, model);
        }

        return loaded;
    }

    /// <summary>Refuses data whose examples the model cannot take, naming both.</summary>
    private static void CheckAgainstModel(string path, LoadedData loaded, Models.ModelSpec model)
    {
        var data = loaded.Examples;
        var (c, h, w) = model.InputShape;
        if (model.IsTabular && (data.Channels, data.Height) == (1, 1) && data.Width != w)
        {
            string names = loaded.FeatureNames is { } f ? $" ({string.Join(", ", f)})" : string.Empty;
            throw new DataValidationException(string.Create(
                CultureInfo.InvariantCulture,
                $"{path} gives {data.Width} features{names}, but the run's model ({model.ToNativeSpec()}) takes {w}; choose them with --feature-columns."));
        }

        if ((data.Channels, data.Height, data.Width) != (c, h, w))
        {
            throw new DataValidationException(string.Create(
                CultureInfo.InvariantCulture,
                $"{path} holds {data.Channels}x{data.Height}x{data.Width} examples, but the run's model ({model.ToNativeSpec()}) takes {c}x{h}x{w}."));
        }

        if (!model.IsLanguageModel && data.Classes > model.Classes)
        {
            throw new DataValidationException(string.Create(
                CultureInfo.InvariantCulture,
                $"{path} has {data.Classes} classes ({string.Join(", ", loaded.ClassNames)}), but the run's model has {model.Classes}."));
        }
    }

    private static LoadedData Named(ImageDataset data, DataFormat format, DataContract contract) =>
        new(data, format, contract.ClassNames ?? Enumerable.Range(0, data.Classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList())
        {
            Preprocessing = string.Create(CultureInfo.InvariantCulture, $"scaled to [0, 1], normalised (mean {FashionMnist.Mean}, std {FashionMnist.StdDev})"),
        };
}
