namespace FedTrain.Trainer;

/// <summary>Evaluation of a model on a labelled data set; all zeros for an empty set.</summary>
/// <param name="MeanLoss">Mean cross-entropy per example.</param>
/// <param name="Accuracy">Fraction classified correctly, in [0, 1].</param>
/// <param name="Examples">Examples evaluated.</param>
/// <param name="PerClassCorrect">Correct predictions per true label, indexed by label.</param>
/// <param name="PerClassTotal">Examples per true label, indexed by label; sums to <paramref name="Examples"/>.</param>
public sealed record EvalResult(
    double MeanLoss,
    double Accuracy,
    long Examples,
    IReadOnlyList<long> PerClassCorrect,
    IReadOnlyList<long> PerClassTotal);
