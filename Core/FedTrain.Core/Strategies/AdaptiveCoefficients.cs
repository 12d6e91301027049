namespace FedTrain.Core.Strategies;

/// <summary>The float32 constants of one adaptive optimizer; 1 − β is computed once in float64, then rounded.</summary>
internal readonly record struct AdaptiveCoefficients(float LearningRate, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float Tau)
{
    public static AdaptiveCoefficients Create(double learningRate, double beta1, double beta2, double tau) =>
        new((float)learningRate, (float)beta1, (float)(1 - beta1), (float)beta2, (float)(1 - beta2), (float)tau);
}
