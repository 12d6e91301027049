namespace FedTrain.Core.Models;

/// <summary>One named tensor inside the flat float32 parameter buffer.</summary>
/// <param name="Name">PyTorch-style dotted name, e.g. <c>features.0.weight</c>.</param>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="Offset">Start of the tensor in the flat buffer, in elements.</param>
public sealed record TensorInfo(string Name, IReadOnlyList<long> Shape, long Offset)
{
    /// <summary>Number of elements (the product of <see cref="Shape"/>).</summary>
    public long Length => Shape.Aggregate(1L, (a, b) => a * b);
}
