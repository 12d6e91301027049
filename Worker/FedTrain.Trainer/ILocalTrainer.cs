using FedTrain.Core.Data;
using FedTrain.Core.Models;

namespace FedTrain.Trainer;

/// <summary>
/// A model a worker trains locally and a coordinator evaluates. Parameters travel as one flat float32 buffer
/// laid out as <see cref="Manifest"/> describes. Implementations are not thread-safe: use one instance from one
/// thread at a time.
/// </summary>
public interface ILocalTrainer : IDisposable
{
    /// <summary>Names, shapes and offsets of the tensors in the flat parameter buffer.</summary>
    ParameterManifest Manifest { get; }

    /// <summary>Length of the flat parameter buffer in float32 elements.</summary>
    long ParameterCount { get; }

    /// <summary>Copies the current parameters into <paramref name="destination"/>, whose length must be <see cref="ParameterCount"/>.</summary>
    void GetParameters(Span<float> destination);

    /// <summary>Replaces the parameters with <paramref name="source"/>, whose length must be <see cref="ParameterCount"/>.</summary>
    void SetParameters(ReadOnlySpan<float> source);

    /// <summary>
    /// Trains in place for <see cref="TrainingConfig.LocalSteps"/> steps, or else <see cref="TrainingConfig.LocalEpochs"/>
    /// epochs, with a fresh optimizer. Blocks the calling thread for the whole round.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token fired; the model keeps the steps already taken.</exception>
    TrainResult Train(ImageDataset data, TrainingConfig config, CancellationToken cancellationToken);

    /// <summary>Loss and accuracy of the current parameters on <paramref name="data"/>, with per-class counts.</summary>
    EvalResult Evaluate(ImageDataset data, int batchSize);
}
