using System.Runtime.InteropServices;
using FedTrain.Core.Compression;

namespace FedTrain.Core.Tests;

/// <summary>Error feedback keeps the decoded updates' running sum within one quantum of the true deltas' sum.</summary>
public sealed class ErrorFeedbackTests
{
    private const int Length = (2 * EncodedLayout.Int8BlockSize) + 77;
    private const int Rounds = 30;

    [Fact]
    public void Sum_of_decoded_int8_updates_tracks_the_sum_of_true_deltas_within_half_a_quantum()
    {
        var feedback = new ErrorFeedback();
        var withFeedback = new double[Length];
        var withoutFeedback = new double[Length];
        var truth = new double[Length];
        var random = new Random(11);
        var lastScales = Array.Empty<float>();
        for (int round = 0; round < Rounds; round++)
        {
            // Small drifts that int8 alone keeps rounding the same way: the errors would pile up without feedback.
            var delta = new float[Length];
            for (int i = 0; i < Length; i++)
            {
                delta[i] = (float)((i % 97 == 0 ? 0.05 : 0.001) + (random.NextDouble() * 0.00002));
                truth[i] += delta[i];
            }

            Accumulate(withoutFeedback, EncodeAlone(delta));
            var encoded = new byte[EncodedLayout.EncodedBytes(UpdateEncoding.Int8, Length)];
            var pending = new float[Length];
            feedback.Encode("client-a", delta, UpdateEncoding.Int8, encoded, pending);
            feedback.Commit("client-a", pending);
            var decoded = new float[Length];
            UpdateDecoder.Decode(encoded, UpdateEncoding.Int8, decoded);
            Accumulate(withFeedback, decoded);
            lastScales = MemoryMarshal.Cast<byte, float>(encoded.AsSpan(0, (int)EncodedLayout.Int8ValuesOffset(Length))).ToArray();
        }

        double worstWithout = 0;
        for (int i = 0; i < Length; i++)
        {
            // Σ decoded = Σ Δ − e_T, and the last residual e_T is at most half the last quantum of its block.
            double bound = (lastScales[i / EncodedLayout.Int8BlockSize] * 0.5) + 1e-5;
            Assert.True(Math.Abs(withFeedback[i] - truth[i]) <= bound, $"parameter {i}: off by {Math.Abs(withFeedback[i] - truth[i])}, bound {bound}");
            worstWithout = Math.Max(worstWithout, Math.Abs(withoutFeedback[i] - truth[i]));
        }

        // Without feedback the same quantiser drifts by many quanta.
        Assert.True(worstWithout > 5 * lastScales.Max(), $"without feedback the worst drift is only {worstWithout}");
    }

    [Fact]
    public void Residual_is_adopted_only_when_committed_and_kept_per_client()
    {
        var feedback = new ErrorFeedback();
        var delta = Enumerable.Range(0, Length).Select(i => (float)Math.Sin(i) * 1e-3f).ToArray();
        var encoded = new byte[EncodedLayout.EncodedBytes(UpdateEncoding.Float16, Length)];
        var pending = new float[Length];

        feedback.Encode("a", (float[])delta.Clone(), UpdateEncoding.Float16, encoded, pending);
        Assert.True(feedback.ResidualOf("a").IsEmpty); // not delivered: nothing carried over
        feedback.Commit("a", pending);
        Assert.Equal(pending, feedback.ResidualOf("a").ToArray());
        Assert.True(feedback.ResidualOf("b").IsEmpty);

        // The next update of "a" is corrected by its residual; "b" starts clean.
        var corrected = (float[])delta.Clone();
        feedback.Encode("a", corrected, UpdateEncoding.Float16, encoded, pending);
        Assert.Equal(delta[5] + feedback.ResidualOf("a")[5], corrected[5]);
        var plain = (float[])delta.Clone();
        feedback.Encode("b", plain, UpdateEncoding.Float16, encoded, pending);
        Assert.Equal(delta, plain);

        feedback.Clear();
        Assert.Equal(0, feedback.ClientCount);
    }

    private static float[] EncodeAlone(float[] delta)
    {
        var encoded = new byte[EncodedLayout.EncodedBytes(UpdateEncoding.Int8, Length)];
        UpdateEncoder.Encode(delta, UpdateEncoding.Int8, encoded, []);
        var decoded = new float[Length];
        UpdateDecoder.Decode(encoded, UpdateEncoding.Int8, decoded);
        return decoded;
    }

    private static void Accumulate(double[] sum, float[] values)
    {
        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] += values[i];
        }
    }
}
