using FedTrain.Core.Models;
using FedTrain.Trainer;

namespace FedTrain.Coordinator.Models;

/// <summary>
/// Builds the coordinator's own copy of the model at start. A spec the native trainer refuses (a TorchScript file
/// that does not load, or whose output does not fit the classes) becomes a configuration error naming the option,
/// before any worker is involved.
/// </summary>
public static class ModelLoader
{
    /// <param name="spec">The model to build.</param>
    /// <param name="options">Device, threads and seed.</param>
    /// <param name="source">The file the user named, when <paramref name="spec"/> reads a copy of it; null otherwise.</param>
    /// <exception cref="ArgumentException">The trainer refused the spec; the message says why.</exception>
    public static NativeTrainer Create(ModelSpec spec, TrainerOptions options, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        try
        {
            return NativeTrainer.Create(spec, options);
        }
        catch (TrainerException ex) when (ex.Code == TrainerErrorCode.InvalidArgument)
        {
            string what = source is null ? spec.Kind : $"{spec.Kind} from {source}";
            throw new ArgumentException($"Option Model ({what}) is refused: {ex.Message}", ex);
        }
    }
}
