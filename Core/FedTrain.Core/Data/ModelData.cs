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

    /// <summary>Where the data for a kind lives on Debian unless told otherwise.</summary>
    public static string DefaultDirectory(ModelSpec model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.IsLanguageModel ? TextCorpus.FortunesDirectory : FashionMnist.DefaultDirectory;
    }
}
