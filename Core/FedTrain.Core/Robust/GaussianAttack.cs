using FedTrain.Core.Data;

namespace FedTrain.Core.Robust;

/// <summary>Δ → N(0, σ²) noise, the same for the same seed on every machine (SplitMix64, not <see cref="Random"/>).</summary>
internal sealed class GaussianAttack(double sigma) : ByzantineAttack
{
    public override string Spec => sigma == 1.0 ? "gaussian" : Format("gaussian", sigma);

    public override void Apply(Span<float> delta, ulong seed)
    {
        var random = new SplitMix64(seed);
        for (int i = 0; i < delta.Length; i++)
        {
            delta[i] = (float)(sigma * random.NextGaussian());
        }
    }
}
