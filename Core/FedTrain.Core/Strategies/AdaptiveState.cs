namespace FedTrain.Core.Strategies;

/// <summary>
/// State and step shared by <see cref="FedAdagrad"/>, <see cref="FedAdam"/> and <see cref="FedYogi"/>: the first
/// moment m (starts at 0) and second moment v (starts at v₀), both sized to the model and allocated once.
/// </summary>
internal sealed class AdaptiveState
{
    // m and v share one backing array, staggered 1 KiB and 2 KiB further into a page than the array itself.
    // Large arrays all start at the same offset modulo 1 MiB (the GC aligns its large-object regions); allocated
    // separately, w, Δ̄, m and v walked through the same cache sets in lockstep, and the step's time varied 2–3×
    // between otherwise identical instances. Staggering keeps m and v out of the sets that w and Δ̄ share.
    private const int FirstOffset = 256;
    private const int SecondStagger = 512;

    private readonly float[] _state;
    private readonly int _secondOffset;

    public AdaptiveState(int length, double serverLearningRate, double beta1, double beta2, double tau, double? initialSecondMoment)
    {
        OptimizerArguments.Length(length, nameof(length));
        OptimizerArguments.Positive(serverLearningRate, nameof(serverLearningRate));
        OptimizerArguments.Decay(beta1, nameof(beta1));
        OptimizerArguments.Decay(beta2, nameof(beta2));
        OptimizerArguments.Positive(tau, nameof(tau));
        double v0 = initialSecondMoment ?? tau * tau;
        OptimizerArguments.NonNegative(v0, nameof(initialSecondMoment));

        Coefficients = AdaptiveCoefficients.Create(serverLearningRate, beta1, beta2, tau);
        InitialSecondMoment = (float)v0;
        int pageFloats = 4096 / sizeof(float);
        int afterFirst = FirstOffset + length;
        _secondOffset = afterFirst + ((SecondStagger - (afterFirst % pageFloats) + pageFloats) % pageFloats);
        _state = new float[_secondOffset + length];
        Length = length;
        Reset();
    }

    public AdaptiveCoefficients Coefficients { get; }

    public float InitialSecondMoment { get; }

    public int Length { get; }

    public long StepCount { get; private set; }

    public ReadOnlySpan<float> FirstMoment => First;

    public ReadOnlySpan<float> SecondMoment => Second;

    private Span<float> First => _state.AsSpan(FirstOffset, Length);

    private Span<float> Second => _state.AsSpan(_secondOffset, Length);

    public void Apply<TRule>(Span<float> model, ReadOnlySpan<float> averagedDelta)
        where TRule : struct, ISecondMomentRule
    {
        OptimizerArguments.Spans(Length, model.Length, averagedDelta.Length);
        var coefficients = Coefficients;
        ParallelChunks.Run(model, averagedDelta, (w, d, start) => AdaptiveKernel.Apply<TRule>(
            w, d, First.Slice(start, w.Length), Second.Slice(start, w.Length), coefficients));
        StepCount++;
    }

    public void Reset()
    {
        // Writing every element also faults the pages in here, once, rather than during the first round.
        _state.AsSpan().Clear();
        Second.Fill(InitialSecondMoment);
        StepCount = 0;
    }

    public void RestoreState(ReadOnlySpan<float> firstMoment, ReadOnlySpan<float> secondMoment, long step)
    {
        OptimizerArguments.State(Length, firstMoment.Length, nameof(firstMoment));
        OptimizerArguments.State(Length, secondMoment.Length, nameof(secondMoment));
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        firstMoment.CopyTo(First);
        secondMoment.CopyTo(Second);
        StepCount = step;
    }
}
