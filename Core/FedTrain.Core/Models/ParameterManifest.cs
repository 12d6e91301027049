namespace FedTrain.Core.Models;

/// <summary>
/// Names and shapes of every tensor in a model's flat float32 buffer, in buffer order. The coordinator and
/// workers exchange parameters as that one buffer; the manifest is how a shape mismatch is caught.
/// </summary>
public sealed class ParameterManifest
{
    public ParameterManifest(IReadOnlyList<TensorInfo> tensors)
    {
        long expected = 0;
        foreach (var tensor in tensors)
        {
            if (tensor.Offset != expected)
            {
                throw new ArgumentException($"Tensor '{tensor.Name}' starts at {tensor.Offset}, expected {expected}.", nameof(tensors));
            }

            expected += tensor.Length;
        }

        Tensors = tensors;
        TotalElements = expected;
    }

    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>Length of the flat buffer in float32 elements.</summary>
    public long TotalElements { get; }

    /// <summary>Same names, shapes and order.</summary>
    public bool IsCompatibleWith(ParameterManifest other) =>
        Tensors.Count == other.Tensors.Count
        && Tensors.Zip(other.Tensors).All(p => p.First.Name == p.Second.Name && p.First.Shape.SequenceEqual(p.Second.Shape));
}
