namespace FedTrain.Core.Fairness;

/// <summary>
/// Accuracy per class from correct/total counts, e.g. summed over the clients of an evaluation round with
/// <see cref="Accumulate"/>. A class with no examples gets NaN, so that it is not read as a class the model always
/// gets wrong; filter NaN out before feeding the values to <see cref="FairnessMetrics"/>.
/// </summary>
public static class PerClassAccuracy
{
    /// <summary>destination[c] = correct[c] / total[c], or NaN where total[c] = 0.</summary>
    public static void Compute(ReadOnlySpan<long> correct, ReadOnlySpan<long> total, Span<double> destination)
    {
        if (correct.Length != total.Length || destination.Length != total.Length)
        {
            throw new ArgumentException($"Lengths differ: correct {correct.Length}, total {total.Length}, destination {destination.Length}.", nameof(destination));
        }

        for (int c = 0; c < total.Length; c++)
        {
            ValidateCount(correct[c], total[c], c);
            destination[c] = total[c] == 0 ? double.NaN : (double)correct[c] / total[c];
        }
    }

    /// <summary>Adds one client's per-class counts into running totals.</summary>
    public static void Accumulate(ReadOnlySpan<long> clientCorrect, ReadOnlySpan<long> clientTotal, Span<long> correct, Span<long> total)
    {
        if (clientCorrect.Length != clientTotal.Length || correct.Length != clientTotal.Length || total.Length != clientTotal.Length)
        {
            throw new ArgumentException(
                $"Lengths differ: client correct {clientCorrect.Length}, client total {clientTotal.Length}, correct {correct.Length}, total {total.Length}.",
                nameof(clientTotal));
        }

        for (int c = 0; c < clientTotal.Length; c++)
        {
            ValidateCount(clientCorrect[c], clientTotal[c], c);
        }

        for (int c = 0; c < clientTotal.Length; c++)
        {
            correct[c] = checked(correct[c] + clientCorrect[c]);
            total[c] = checked(total[c] + clientTotal[c]);
        }
    }

    private static void ValidateCount(long correct, long total, int index)
    {
        if (correct < 0 || total < 0 || correct > total)
        {
            throw new ArgumentException($"Class {index} has {correct} correct of {total}; counts must satisfy 0 ≤ correct ≤ total.", nameof(correct));
        }
    }
}
