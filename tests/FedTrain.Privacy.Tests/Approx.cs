namespace FedTrain.Privacy.Tests;

/// <summary>Relative-tolerance assertions for values published with a given number of digits.</summary>
internal static class Approx
{
    public static void Relative(double expected, double actual, double tolerance)
    {
        double error = Math.Abs(actual - expected) / Math.Abs(expected);
        Assert.True(error <= tolerance, $"expected {expected:R}, got {actual:R} (relative error {error:E2} > {tolerance:E0})");
    }

    public static void Absolute(double expected, double actual, double tolerance)
    {
        double error = Math.Abs(actual - expected);
        Assert.True(error <= tolerance, $"expected {expected:R}, got {actual:R} (absolute error {error:E2} > {tolerance:E0})");
    }
}
