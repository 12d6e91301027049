using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedTrain.Core.Data.Formats;

/// <summary>
/// What the run does to a raw input before the model sees it, recorded in the run directory
/// (<see cref="FileName"/>) so that <c>fedtrain export</c> can carry it: images are resized to the model's height and
/// width, scaled to [0, 1] and normalised per channel; table rows are standardised with the coordinator's test-set
/// statistics (the scaling its accuracy was measured with); and the class names.
/// </summary>
public sealed record InputPreprocessing
{
    public const string FileName = "input-preprocessing.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    /// <summary>The classes in index order.</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>Images: the model's channels, height and width.</summary>
    public IReadOnlyList<int>? ImageShape { get; init; }

    /// <summary>Images: per-channel mean and standard deviation after scaling pixels to [0, 1].</summary>
    public IReadOnlyList<float>? PixelMean { get; init; }

    public IReadOnlyList<float>? PixelStd { get; init; }

    /// <summary>Tables: the feature names in input order, when the data named them.</summary>
    public IReadOnlyList<string>? FeatureNames { get; init; }

    /// <summary>Tables: the standardisation the coordinator's test set was scored with.</summary>
    public IReadOnlyList<float>? FeatureMean { get; init; }

    public IReadOnlyList<float>? FeatureStd { get; init; }

    /// <summary>The preprocessing of an image run.</summary>
    public static InputPreprocessing ForImages(IReadOnlyList<string> classNames, (int Channels, int Height, int Width) shape, ImageNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        var channels = Enumerable.Range(0, shape.Channels).Select(normalization.Channel).ToList();
        return new InputPreprocessing
        {
            ClassNames = classNames,
            ImageShape = [shape.Channels, shape.Height, shape.Width],
            PixelMean = channels.Select(c => c.Mean).ToList(),
            PixelStd = channels.Select(c => c.StdDev).ToList(),
        };
    }

    /// <summary>The preprocessing of a table run.</summary>
    public static InputPreprocessing ForTable(IReadOnlyList<string> classNames, IReadOnlyList<string>? featureNames, FeatureStandardization standardization)
    {
        ArgumentNullException.ThrowIfNull(standardization);
        return new InputPreprocessing
        {
            ClassNames = classNames,
            FeatureNames = featureNames,
            FeatureMean = standardization.Mean,
            FeatureStd = standardization.StdDev,
        };
    }

    public void Write(string runDirectory) =>
        File.WriteAllText(Path.Combine(runDirectory, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>The run's preprocessing, or null for a run directory that recorded none (an older run, a language model).</summary>
    public static InputPreprocessing? Read(string runDirectory)
    {
        string path = Path.Combine(runDirectory, FileName);
        return File.Exists(path) ? JsonSerializer.Deserialize<InputPreprocessing>(File.ReadAllText(path), Json) : null;
    }
}
