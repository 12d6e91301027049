using System.Numerics.Tensors;
using FedTrain.Core.Data;
using FedTrain.Core.Models;

namespace FedTrain.Trainer;

/// <summary>
/// A trainer that does no training: each round it adds the same small constant to every parameter and returns at
/// once. Benchmarks use it to measure what orchestration costs on top of training (download, upload, aggregation,
/// commit); it is never a way to train a model. Evaluation is the wrapped trainer's, on the current parameters.
/// </summary>
public sealed class FixedDeltaTrainer : ILocalTrainer
{
    /// <summary>The step added to every parameter per round: small, finite, and the same on every worker.</summary>
    public const float Step = 1e-4f;

    private readonly ILocalTrainer _inner;
    private readonly float[] _parameters;

    /// <summary>Takes ownership of <paramref name="inner"/>, whose manifest and initial parameters it adopts.</summary>
    public FixedDeltaTrainer(ILocalTrainer inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _parameters = new float[checked((int)inner.ParameterCount)];
        inner.GetParameters(_parameters);
    }

    public ParameterManifest Manifest => _inner.Manifest;

    public long ParameterCount => _parameters.Length;

    public void GetParameters(Span<float> destination) => _parameters.CopyTo(destination);

    public void SetParameters(ReadOnlySpan<float> source) => source.CopyTo(_parameters);

    public TrainResult Train(ImageDataset data, TrainingConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        cancellationToken.ThrowIfCancellationRequested();
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        TensorPrimitives.Add(_parameters, Step, _parameters);
        return new TrainResult(0, 0, 0, data.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    public EvalResult Evaluate(ImageDataset data, int batchSize)
    {
        _inner.SetParameters(_parameters);
        return _inner.Evaluate(data, batchSize);
    }

    public void Dispose() => _inner.Dispose();
}
