namespace FedTrain.Aggregation.Tests;

internal static class TestData
{
    public static float[][] Random(int n, int length, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var updates = new float[n][];
        for (int k = 0; k < n; k++)
        {
            updates[k] = new float[length];
            for (int i = 0; i < length; i++)
            {
                updates[k][i] = (float)(rng.NextDouble() - 0.5) * 2 * scale;
            }
        }

        return updates;
    }

    /// <summary>Element-wise bit equality, so that a −0 for +0 or a one-ulp difference fails.</summary>
    public static void AssertBitIdentical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"Element {i}: expected {expected[i]:R}, got {actual[i]:R}.");
            }
        }
    }

    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double scale = Math.Max(1, Math.Abs(expected[i]));
            if (Math.Abs(expected[i] - actual[i]) > tolerance * scale)
            {
                Assert.Fail($"Element {i}: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance}).");
            }
        }
    }

    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> reference)
    {
        double error = 0, norm = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            error += (actual[i] - (double)reference[i]) * (actual[i] - (double)reference[i]);
            norm += reference[i] * (double)reference[i];
        }

        return Math.Sqrt(error / norm);
    }
}
