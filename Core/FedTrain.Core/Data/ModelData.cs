using FedTrain.Core.Data.Formats;
using FedTrain.Core.Models;

namespace FedTrain.Core.Data;

/// <summary>Loads the data set a model trains on (images for cnn/vit, text windows for lm) and checks they fit.</summary>
public static class ModelData
{
    /// <summary>
    /// Loads the training or test split from <paramref name="directory"/> in the form the model reads, and refuses
    /// data whose example shape or labels the model cannot take, with a message naming both.
    /// </summary>
    public static ImageDataset Load(ModelSpec model, string directory, bool train, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var data = model.IsLanguageModel
            ? TextCorpus.Load(directory, model.Seq + 1, train, limit)
            : FashionMnist.Load(directory, train, limit);
        ModelSpecValidator.ValidateAgainstData(
            model, data.Channels, data.Height, data.Width, data.Classes, $"the {(train ? "training" : "test")} data in {directory}");
        return data;
    }

    /// <summary>
    /// Loads a test set in any format (<see cref="DataSourceLoader"/>), checked against the model and the run's class
    /// list, with the preprocessing it was given. A table is standardised with its own statistics, as each worker
    /// standardises with its own.
    /// </summary>
    public static (ImageDataset Data, InputPreprocessing Preprocessing) Load(
        ModelSpec model, DataSourceOptions source, DataContract contract, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(contract);
        var loaded = DataSourceLoader.Load(source, contract with { Model = model }, cancellationToken);
        // Rows are standardised for any model that takes them (a TorchScript module too), as the workers standardise theirs.
        if (!model.IsTabular && loaded.FeatureNames is null)
        {
            return (loaded.Examples, InputPreprocessing.ForImages(loaded.ClassNames, model.InputShape, (contract with { Model = model }).ImageNormalization));
        }

        var statistics = FeatureStandardization.Fit(loaded.Examples);
        statistics.Apply(loaded.Examples);
        return (loaded.Examples, InputPreprocessing.ForTable(loaded.ClassNames, loaded.FeatureNames, statistics));
    }

    /// <summary>Where the data for a kind lives on Debian unless told otherwise.</summary>
    public static string DefaultDirectory(ModelSpec model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.IsLanguageModel ? TextCorpus.FortunesDirectory : FashionMnist.DefaultDirectory;
    }
}
