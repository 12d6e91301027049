using System.Numerics.Tensors;
using FedTrain.Core.Robust;

namespace FedTrain.Core.Strategies;

/// <summary>
/// q-FedAvg (Li, Sanjabi, Beirami and Smith, ICLR 2020, "Fair Resource Allocation in Federated Learning",
/// Algorithm 2), folded one client at a time so memory is one model-sized buffer whatever the cohort size.
/// </summary>
/// <remarks>
/// <para>With Δₖ = local − global (our convention), L = 1/(local learning rate) and Fₖ the loss of the global model
/// on client k's training data before local training, the paper's quantities are
/// Δwₖ = L(w − w̄ₖ) = −L·Δₖ,  Δₖ' = Fₖ^q·Δwₖ,  hₖ = q·Fₖ^(q−1)·‖Δwₖ‖² + L·Fₖ^q,  and w ← w − ΣΔₖ' / Σhₖ.
/// This class accumulates S = Σ Fₖ^q·Δₖ (float32) and H = Σ hₖ (float64); the step is then w ← w + (L/H)·S.</para>
/// <para>q = 0 gives hₖ = L, so the step is the unweighted mean of the deltas: q-FedAvg does not weight by
/// example count. Larger q shifts weight to clients with high loss. For q &gt; 0, Fₖ is floored at 1e-10 so that
/// Fₖ^(q−1) stays finite (Flower adds 1e-10 instead; the two agree to 1e-10 absolute).</para>
/// <para>Flower's legacy strategy uses one server-side loss for every client; its current one uses each client's
/// reported training loss. We take the per-client loss, as the paper does; which loss a worker reports is the
/// caller's choice.</para>
/// Not thread-safe: callers serialise <see cref="Add"/>.
/// </remarks>
public sealed class QFedAvg
{
    private const double LossFloor = 1e-10;

    private readonly float[] _sum;

    /// <param name="length">Number of model parameters; the accumulator is allocated here, once.</param>
    /// <param name="q">q ≥ 0, the fairness exponent (Flower's default 0.1; the paper tunes q ∈ {0.001 … 15}).</param>
    /// <param name="localLearningRate">The workers' SGD learning rate; L = 1/localLearningRate estimates the Lipschitz constant.</param>
    /// <param name="lipschitz">
    /// L set directly, in place of 1/localLearningRate. The paper's estimate assumes one local step; after many,
    /// ‖Δwₖ‖² = L²‖Δₖ‖² dominates hₖ and the server step shrinks far below FedAvg's. A smaller L moves the step
    /// towards the Fₖ^q-weighted mean of the deltas.
    /// </param>
    public QFedAvg(int length, double q, double localLearningRate, double? lipschitz = null)
    {
        OptimizerArguments.Length(length, nameof(length));
        OptimizerArguments.NonNegative(q, nameof(q));
        OptimizerArguments.Positive(localLearningRate, nameof(localLearningRate));
        if (lipschitz is { } given)
        {
            OptimizerArguments.Positive(given, nameof(lipschitz));
        }

        Q = q;
        Lipschitz = lipschitz ?? 1.0 / localLearningRate;
        _sum = new float[length];
        Array.Clear(_sum);
    }

    public int Length => _sum.Length;

    public double Q { get; }

    /// <summary>L: 1 / local learning rate unless set.</summary>
    public double Lipschitz { get; }

    /// <summary>Clients folded in since the last <see cref="Reset"/>.</summary>
    public int Count { get; private set; }

    /// <summary>H = Σₖ hₖ so far.</summary>
    public double HSum { get; private set; }

    /// <summary>Folds in one client's delta and loss.</summary>
    /// <param name="delta">Δₖ = local − global.</param>
    /// <param name="loss">Fₖ ≥ 0: the global model's loss on the client's training data, before local training.</param>
    /// <param name="weight">
    /// pₖ &gt; 0, the client's weight in the objective Σ pₖ·Fₖ^(q+1)/(q+1); it scales both Δₖ' and hₖ, so only ratios
    /// matter. The paper samples clients with probability pₖ = nₖ/n and then weighs them equally; a coordinator that
    /// samples uniformly passes pₖ = nₖ for the same objective (q = 0 is then FedAvg), or 1 for the unweighted one.
    /// </param>
    public void Add(ReadOnlySpan<float> delta, double loss, double weight = 1)
    {
        if (delta.Length != _sum.Length)
        {
            throw new ArgumentException($"Delta has {delta.Length} elements, the model {_sum.Length}.", nameof(delta));
        }

        OptimizerArguments.NonNegative(loss, nameof(loss));
        OptimizerArguments.Positive(weight, nameof(weight));

        double lossPowQ, firstTerm;
        if (Q == 0)
        {
            // q·F^(q−1)·‖Δw‖² is 0 for q = 0 even when F = 0, where evaluating it would give 0·∞.
            lossPowQ = 1;
            firstTerm = 0;
        }
        else
        {
            double f = Math.Max(loss, LossFloor);
            lossPowQ = Math.Pow(f, Q);
            double squaredNorm = Lipschitz * Lipschitz * BlockSums.SumOfSquares(delta);
            firstTerm = Q * Math.Pow(f, Q - 1) * squaredNorm;
        }

        double h = weight * (firstTerm + (Lipschitz * lossPowQ));
        if (!double.IsFinite(h))
        {
            throw new ArgumentException($"hₖ is not finite (loss {loss}, q {Q}); the delta or the loss is out of range.", nameof(delta));
        }

        TensorPrimitives.MultiplyAdd(delta, (float)(weight * lossPowQ), _sum, _sum);
        HSum += h;
        Count++;
    }

    /// <summary>Writes the step w_new − w = (L/H)·S into <paramref name="destination"/>, e.g. to log its norm.</summary>
    /// <exception cref="InvalidOperationException">No client was added.</exception>
    public void WriteStep(Span<float> destination)
    {
        if (destination.Length != _sum.Length)
        {
            throw new ArgumentException($"Destination has {destination.Length} elements, the model {_sum.Length}.", nameof(destination));
        }

        TensorPrimitives.Multiply(_sum, StepScale(), destination);
    }

    /// <summary>w ← w + (L/H)·S, in place.</summary>
    /// <exception cref="InvalidOperationException">No client was added.</exception>
    public void Apply(Span<float> model)
    {
        if (model.Length != _sum.Length)
        {
            throw new ArgumentException($"Model has {model.Length} elements, the accumulator {_sum.Length}.", nameof(model));
        }

        TensorPrimitives.MultiplyAdd(_sum, StepScale(), model, model);
    }

    /// <summary>Clears the accumulator for the next round; the buffer is kept.</summary>
    public void Reset()
    {
        Array.Clear(_sum);
        HSum = 0;
        Count = 0;
    }

    private float StepScale()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("No client was added; there is no q-FedAvg step.");
        }

        return (float)(Lipschitz / HSum);
    }
}
