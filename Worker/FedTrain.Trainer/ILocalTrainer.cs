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

    /// <summary>
    /// Trains like <see cref="Train(ImageDataset, TrainingConfig, CancellationToken)"/>, with DP-SGD when
    /// <paramref name="dpSgd"/> is not null; <see cref="TrainResult.DpSgd"/> then carries what the privacy accountant
    /// needs. Under DP-SGD, <see cref="TrainingConfig.BatchSize"/> is the expected batch size and must not exceed the
    /// example count, and <see cref="TrainingConfig.LocalEpochs"/> means ⌈epochs × examples / batch size⌉ steps.
    /// </summary>
    /// <exception cref="NotSupportedException">This implementation has no DP-SGD and <paramref name="dpSgd"/> is not null.</exception>
    /// <exception cref="OperationCanceledException">The token fired; the model keeps the steps already taken.</exception>
    TrainResult Train(ImageDataset data, TrainingConfig config, DpSgdOptions? dpSgd, CancellationToken cancellationToken) =>
        dpSgd is null
            ? Train(data, config, cancellationToken)
            : throw new NotSupportedException($"{GetType().Name} does not implement DP-SGD.");

    /// <summary>Loss and accuracy of the current parameters on <paramref name="data"/>, with per-class counts.</summary>
    EvalResult Evaluate(ImageDataset data, int batchSize);

    /// <summary>
    /// Loss and accuracy of <paramref name="parameters"/> (length <see cref="ParameterCount"/>) on
    /// <paramref name="data"/>. Afterwards the trainer's own parameters are unspecified until the next
    /// <see cref="SetParameters"/>: implementations may read the caller's buffer in place instead of copying it.
    /// </summary>
    EvalResult EvaluateParameters(ReadOnlySpan<float> parameters, ImageDataset data, int batchSize)
    {
        SetParameters(parameters);
        return Evaluate(data, batchSize);
    }
}
