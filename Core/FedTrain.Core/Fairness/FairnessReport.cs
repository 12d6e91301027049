namespace FedTrain.Core.Fairness;

/// <summary>
/// How evenly a model serves the clients it was evaluated on, from one accuracy per client (each client counts once,
/// whatever its example count: the question is how the worst-served clients fare, not the average example).
/// See <see cref="FairnessMetrics"/> for the definitions.
/// </summary>
/// <param name="AccuracyMean">Arithmetic mean of the client accuracies.</param>
/// <param name="AccuracyStd">Population standard deviation (divides by n).</param>
/// <param name="AccuracyMin">Worst client's accuracy.</param>
/// <param name="AccuracyP10">10th percentile, linearly interpolated (numpy's default).</param>
/// <param name="JainIndex">Jain's index (Σx)²/(n·Σx²) ∈ [1/n, 1]; 1 when all clients are equal.</param>
/// <param name="Gini">Gini coefficient ∈ [0, (n − 1)/n]; 0 when all clients are equal.</param>
/// <param name="ClientsEvaluated">n, the number of client accuracies summarised.</param>
public sealed record FairnessReport(
    double AccuracyMean,
    double AccuracyStd,
    double AccuracyMin,
    double AccuracyP10,
    double JainIndex,
    double Gini,
    int ClientsEvaluated)
{
    /// <summary>
    /// Under differential privacy, the standard deviation of the Gaussian noise on every bucket of
    /// <see cref="NoisyHistogram"/>, from which all the figures were computed (<see cref="ClientsEvaluated"/> is then
    /// the noised count, rounded); null when the figures are exact.
    /// </summary>
    public double? NoiseStandardDeviation { get; init; }

    /// <summary>
    /// Under differential privacy, the released histogram of client accuracies: bucket b counts the clients with
    /// accuracy in [b/B, (b+1)/B) (the last bucket includes 1), plus noise. Null when the figures are exact.
    /// </summary>
    public IReadOnlyList<double>? NoisyHistogram { get; init; }
}
