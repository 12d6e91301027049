namespace FedTrain.Core.Strategies;

/// <summary>Validation shared by the server optimizers, so every message names the offending parameter.</summary>
internal static class OptimizerArguments
{
    public static void Length(int length, string paramName)
    {
        if (length < 0)
        {
            throw new ArgumentOutOfRangeException(paramName, length, "The parameter count must not be negative.");
        }
    }

    public static void Positive(double value, string paramName)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be positive and finite.");
        }
    }

    /// <summary>A decay rate β ∈ [0, 1): β = 1 would freeze the state at its initial value forever.</summary>
    public static void Decay(double value, string paramName)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must lie in [0, 1).");
        }
    }

    public static void NonNegative(double value, string paramName)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be non-negative and finite.");
        }
    }

    /// <summary>Checks the lengths of <c>Apply</c>'s two spans; the parameters are named after them.</summary>
    public static void Spans(int expected, int model, int averagedDelta)
    {
        if (model != expected)
        {
            throw new ArgumentException($"Model has {model} elements, the optimizer was sized for {expected}.", nameof(model));
        }

        if (averagedDelta != expected)
        {
            throw new ArgumentException($"Averaged delta has {averagedDelta} elements, the optimizer was sized for {expected}.", nameof(averagedDelta));
        }
    }

    public static void State(int expected, int actual, string paramName)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"State has {actual} elements, the optimizer was sized for {expected}.", paramName);
        }
    }
}
