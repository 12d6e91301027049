using System.Numerics.Tensors;

namespace FedTrain.Core.Aggregation;

/// <summary>
/// Federated Averaging (McMahan et al. 2017) over model deltas: w ← w + Σₖ nₖΔₖ / Σₖ nₖ, with nₖ the number of
/// examples worker k trained on. The streaming form is <see cref="WeightedSum"/>; this is the batch formula.
/// </summary>
public static class FedAvg
{
    /// <summary>Applies the example-weighted mean of <paramref name="deltas"/> to <paramref name="model"/> in place.</summary>
    public static void Apply(Span<float> model, IReadOnlyList<(float[] Delta, long Examples)> deltas)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        if (deltas.Count == 0)
        {
            throw new ArgumentException("FedAvg needs at least one update.", nameof(deltas));
        }

        var sum = new WeightedSum(model.Length);
        foreach (var (delta, examples) in deltas)
        {
            sum.Add(delta, examples);
        }

        var mean = new float[model.Length];
        sum.WriteMean(mean);
        TensorPrimitives.Add(model, mean, model);
    }
}
