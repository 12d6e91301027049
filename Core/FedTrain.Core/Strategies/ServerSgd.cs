using System.Numerics.Tensors;

namespace FedTrain.Core.Strategies;

/// <summary>
/// Plain server SGD on the pseudo-gradient: w ← w + η·Δ̄. With η = 1 this is FedAvg (McMahan et al. 2017); other
/// η give the "FedAvg with server learning rate" baseline of Reddi et al. 2021. Stateless.
/// </summary>
public sealed class ServerSgd : IServerOptimizer
{
    private readonly float _learningRate;

    /// <param name="length">Number of model parameters.</param>
    /// <param name="serverLearningRate">η &gt; 0; 1 is plain FedAvg.</param>
    public ServerSgd(int length, double serverLearningRate = 1.0)
    {
        OptimizerArguments.Length(length, nameof(length));
        OptimizerArguments.Positive(serverLearningRate, nameof(serverLearningRate));
        Length = length;
        _learningRate = (float)serverLearningRate;
    }

    public int Length { get; }

    public long StepCount { get; private set; }

    public double ServerLearningRate => _learningRate;

    public void Apply(Span<float> model, ReadOnlySpan<float> averagedDelta)
    {
        OptimizerArguments.Spans(Length, model.Length, averagedDelta.Length);
        float eta = _learningRate;
        ParallelChunks.Run(model, averagedDelta, (w, d, _) =>
        {
            if (eta == 1f)
            {
                // w + Δ̄ rather than w + 1·Δ̄: the same value, one operation less per element.
                TensorPrimitives.Add(w, d, w);
            }
            else
            {
                TensorPrimitives.MultiplyAdd(d, eta, w, w);
            }
        });
        StepCount++;
    }

    public void Reset() => StepCount = 0;
}
