using System.Numerics.Tensors;

namespace FedTrain.Core.Strategies;

/// <summary>
/// FedAvg with server momentum (Hsu, Qi and Brown 2019): v ← β·v + Δ̄, then w ← w + η·v, with v = 0 before the
/// first round. This is heavy-ball SGD on the pseudo-gradient −Δ̄ in PyTorch's convention (no dampening, no
/// Nesterov), the same recurrence as Flower's FedAvgM, whose first-round v = Δ̄ equals β·0 + Δ̄.
/// </summary>
public sealed class FedAvgM : IServerOptimizer
{
    // v starts 1 KiB into its array, out of the cache sets that w and Δ̄ walk through (see AdaptiveState).
    private const int Offset = 256;

    private readonly float[] _momentum;
    private readonly float _learningRate;
    private readonly float _beta;

    /// <param name="length">Number of model parameters; the momentum buffer is allocated (and touched) here, once.</param>
    /// <param name="serverLearningRate">η &gt; 0 (Flower's default 1.0).</param>
    /// <param name="momentum">β ∈ [0, 1). Default 0.9; Hsu et al. sweep 0.7–0.997. Flower's default is 0, which is
    /// plain <see cref="ServerSgd"/>; we default to a value that makes this class worth choosing.</param>
    public FedAvgM(int length, double serverLearningRate = 1.0, double momentum = 0.9)
    {
        OptimizerArguments.Length(length, nameof(length));
        OptimizerArguments.Positive(serverLearningRate, nameof(serverLearningRate));
        OptimizerArguments.Decay(momentum, nameof(momentum));
        _momentum = new float[Offset + length];
        Length = length;
        // A freshly allocated array may not be backed by touched pages yet; fault them in now, not in round one.
        Array.Clear(_momentum);
        _learningRate = (float)serverLearningRate;
        _beta = (float)momentum;
    }

    public int Length { get; }

    public long StepCount { get; private set; }

    public double ServerLearningRate => _learningRate;

    public double Momentum => _beta;

    /// <summary>The momentum buffer v after the last step.</summary>
    public ReadOnlySpan<float> Velocity => _momentum.AsSpan(Offset, Length);

    public void Apply(Span<float> model, ReadOnlySpan<float> averagedDelta)
    {
        OptimizerArguments.Spans(Length, model.Length, averagedDelta.Length);
        ParallelChunks.Run(model, averagedDelta, (w, d, start) =>
        {
            var v = _momentum.AsSpan(Offset + start, w.Length);
            TensorPrimitives.MultiplyAdd(v, _beta, d, v);
            TensorPrimitives.MultiplyAdd(v, _learningRate, w, w);
        });
        StepCount++;
    }

    public void Reset()
    {
        Array.Clear(_momentum);
        StepCount = 0;
    }

    /// <summary>Restores state saved from <see cref="Velocity"/> and <see cref="StepCount"/> (resuming from a checkpoint).</summary>
    public void RestoreState(ReadOnlySpan<float> velocity, long step)
    {
        OptimizerArguments.State(Length, velocity.Length, nameof(velocity));
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        velocity.CopyTo(_momentum.AsSpan(Offset, Length));
        StepCount = step;
    }
}
