using System.Numerics.Tensors;

namespace FedTrain.Core.Robust;

/// <summary>Δ → −K·Δ: pushes the model against the honest direction.</summary>
internal sealed class SignFlipAttack(double scale) : ByzantineAttack
{
    public override string Spec => scale == 1.0 ? "sign-flip" : Format("sign-flip", scale);

    public override void Apply(Span<float> delta, ulong seed) => TensorPrimitives.Multiply(delta, (float)-scale, delta);
}
