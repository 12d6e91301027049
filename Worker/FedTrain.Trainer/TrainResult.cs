namespace FedTrain.Trainer;

/// <summary>Summary of one local training round.</summary>
/// <param name="MeanLoss">Mean cross-entropy over the training examples seen, each at the parameters of its step.</param>
/// <param name="Accuracy">Fraction of those examples classified correctly, in [0, 1].</param>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="Examples">Training examples processed (counting repeats across epochs).</param>
/// <param name="Seconds">Wall time of the native call.</param>
/// <param name="DpSgd">
/// The privacy facts of a DP-SGD round; null for plain training. <paramref name="MeanLoss"/>,
/// <paramref name="Accuracy"/> and <paramref name="Examples"/> are computed from the raw data and are not covered
/// by the DP guarantee, so a worker that needs record-level privacy must not release them as they are.
/// </param>
public sealed record TrainResult(
    double MeanLoss,
    double Accuracy,
    long Steps,
    long Examples,
    double Seconds,
    DpSgdReport? DpSgd = null);
