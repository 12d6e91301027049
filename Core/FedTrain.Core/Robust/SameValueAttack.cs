namespace FedTrain.Core.Robust;

/// <summary>Every coordinate → c: a constant vector whose norm grows with √P.</summary>
internal sealed class SameValueAttack(double value) : ByzantineAttack
{
    public override string Spec => value == 1.0 ? "same-value" : Format("same-value", value);

    public override void Apply(Span<float> delta, ulong seed) => delta.Fill((float)value);
}
