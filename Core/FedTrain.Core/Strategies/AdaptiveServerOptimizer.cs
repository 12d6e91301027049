namespace FedTrain.Core.Strategies;

/// <summary>
/// What FedAdagrad, FedAdam and FedYogi share (Reddi et al. 2021, Algorithm 2): the moments m and v, their
/// restore, and the step w ← w + η·m / (√v + τ). A subclass only names how v moves.
/// </summary>
public abstract class AdaptiveServerOptimizer : IServerOptimizer
{
    private protected AdaptiveServerOptimizer(AdaptiveState state)
    {
        State = state;
    }

    public int Length => State.Length;

    public long StepCount => State.StepCount;

    /// <summary>The first moment m after the last step (0 before the first).</summary>
    public ReadOnlySpan<float> FirstMoment => State.FirstMoment;

    /// <summary>The second moment v after the last step (v₀ before the first).</summary>
    public ReadOnlySpan<float> SecondMoment => State.SecondMoment;

    private protected AdaptiveState State { get; }

    public abstract void Apply(Span<float> model, ReadOnlySpan<float> averagedDelta);

    public void Reset() => State.Reset();

    /// <summary>Restores state saved from <see cref="FirstMoment"/>, <see cref="SecondMoment"/> and <see cref="StepCount"/>.</summary>
    public void RestoreState(ReadOnlySpan<float> firstMoment, ReadOnlySpan<float> secondMoment, long step) =>
        State.RestoreState(firstMoment, secondMoment, step);
}
