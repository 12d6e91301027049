using System.Numerics.Tensors;

namespace FedTrain.Core.Robust;

/// <summary>Checks and small kernels shared by the robust rules.</summary>
internal static class UpdateSetArguments
{
    public static void Validate(IUpdateSet updates, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count == 0)
        {
            throw new ArgumentException("The update set is empty; there is nothing to aggregate.", nameof(updates));
        }

        if (destination.Length != updates.Length)
        {
            throw new ArgumentException($"Destination has {destination.Length} elements, the updates {updates.Length}.", nameof(destination));
        }
    }

    public static int[] AllRows(int count)
    {
        var rows = new int[count];
        for (int i = 0; i < count; i++)
        {
            rows[i] = i;
        }

        return rows;
    }

    /// <summary>output = Σᵣ coefficients[r] · row r, added in row order (so each coordinate's rounding is fixed).</summary>
    public static void LinearCombination(float[] rows, int count, float[] coefficients, Span<float> output)
    {
        TensorPrimitives.Multiply(rows.AsSpan(0, count), coefficients[0], output);
        for (int r = 1; r < coefficients.Length; r++)
        {
            // MultiplyAdd is the unfused (x·y) + z in both its vector and scalar paths, so no coordinate's result
            // depends on where a range boundary put it.
            TensorPrimitives.MultiplyAdd(rows.AsSpan(r * count, count), coefficients[r], output, output);
        }
    }

    /// <summary>Coefficients scaleₖ·wₖ/Σw (weighted) or scaleₖ/n (unweighted) for the given rows.</summary>
    public static float[] MeanCoefficients(IUpdateSet updates, int[] rows, ReadOnlySpan<double> scales, bool weighted)
    {
        double total = 0;
        if (weighted)
        {
            foreach (int row in rows)
            {
                total += updates.Weight(row);
            }
        }
        else
        {
            total = rows.Length;
        }

        var coefficients = new float[rows.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            double weight = weighted ? updates.Weight(rows[r]) : 1.0;
            coefficients[r] = (float)(scales[r] * weight / total);
        }

        return coefficients;
    }
}
