namespace FedTrain.Privacy;

/// <summary>Parameter checks shared by the public API, so every refusal names the parameter and the accepted range.</summary>
internal static class Guard
{
    public static void SamplingRate(double value, string name)
    {
        if (!(value > 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "The sampling rate must be in (0, 1].");
        }
    }

    public static void SamplingRateOrZero(double value, string name)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "The sampling rate must be in [0, 1].");
        }
    }

    public static void Positive(double value, string name, string what)
    {
        if (!(value > 0) || !double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"The {what} must be positive and finite.");
        }
    }

    public static void NonNegative(double value, string name, string what)
    {
        if (!(value >= 0) || !double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"The {what} must be non-negative and finite.");
        }
    }

    public static void Delta(double value, string name)
    {
        if (!(value > 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "Delta must be in (0, 1).");
        }
    }

    public static void DeltaForConversion(double value, string name)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "Delta must be in [0, 1].");
        }
    }
}
