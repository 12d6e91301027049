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
    /// <exception cref="ArgumentException">The trainer refused the spec; the message says why.</exception>
    public static NativeTrainer Create(ModelSpec spec, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        try
        {
            return NativeTrainer.Create(spec, options);
        }
        catch (TrainerException ex) when (ex.Code == TrainerErrorCode.InvalidArgument)
        {
            throw new ArgumentException($"Option Model ({spec.Kind}) is refused: {ex.Message}", nameof(spec), ex);
        }
    }
}
