using System.Numerics.Tensors;

namespace FedTrain.Core.Robust;

/// <summary>Δ → K·Δ: an honest direction with an outsized norm.</summary>
internal sealed class ScaleAttack(double factor) : ByzantineAttack
{
    public override string Spec => Format("scale", factor);

    public override void Apply(Span<float> delta, ulong seed) => TensorPrimitives.Multiply(delta, (float)factor, delta);
}
