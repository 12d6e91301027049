using System.Buffers;
using System.Runtime.InteropServices;

namespace FedTrain.Core.Compression;

/// <summary>
/// Top-k sparsification per block (<see cref="UpdateEncoding.TopK"/>): each block of
/// <see cref="EncodedLayout.TopKBlockSize"/> values sends its m largest magnitudes, exactly as float32, with their
/// offsets in the block in increasing order. What is not sent is the residual error feedback carries forward.
/// </summary>
/// <remarks>
/// A block's threshold (its m-th largest magnitude) is found by quickselect on a copy of the magnitudes, O(block)
/// on average, rather than by sorting. Ties at the threshold go to the lowest offsets, so the encoding is a function
/// of the values alone. A NaN counts as the largest magnitude, so it is sent and the coordinator refuses the update.
/// </remarks>
internal static class TopKEncoder
{
    public static void Encode(ReadOnlySpan<float> values, int keptPerBlock, Span<byte> destination, Span<float> residual)
    {
        if (values.IsEmpty)
        {
            return;
        }

        const int block = EncodedLayout.TopKBlockSize;
        long entries = EncodedLayout.TopKEntryCount(values.Length, keptPerBlock);
        var offsets = MemoryMarshal.Cast<byte, ushort>(destination[..(int)(entries * sizeof(ushort))]);
        var kept = MemoryMarshal.Cast<byte, float>(destination[(int)(entries * sizeof(ushort))..]);
        if (!residual.IsEmpty)
        {
            values.CopyTo(residual);
        }

        float[] magnitudes = ArrayPool<float>.Shared.Rent(block);
        try
        {
            int entry = 0;
            for (int start = 0; start < values.Length; start += block)
            {
                var source = values.Slice(start, Math.Min(block, values.Length - start));
                int m = Math.Min(keptPerBlock, source.Length);
                float threshold = Threshold(source, m, magnitudes.AsSpan(0, source.Length), out int above);

                // Everything above the threshold, and the first (m − above) equal to it.
                int ties = m - above;
                for (int i = 0; i < source.Length; i++)
                {
                    float magnitude = Magnitude(source[i]);
                    bool take = magnitude > threshold;
                    if (!take && magnitude == threshold && ties > 0)
                    {
                        take = true;
                        ties--;
                    }

                    if (take)
                    {
                        offsets[entry] = (ushort)i;
                        kept[entry] = source[i];
                        entry++;
                        if (!residual.IsEmpty)
                        {
                            residual[start + i] = 0;
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(magnitudes);
        }
    }

    // The m-th largest magnitude, and how many magnitudes are strictly larger.
    private static float Threshold(ReadOnlySpan<float> source, int m, Span<float> scratch, out int above)
    {
        for (int i = 0; i < source.Length; i++)
        {
            scratch[i] = Magnitude(source[i]);
        }

        float threshold = Select(scratch, source.Length - m);
        above = 0;
        for (int i = 0; i < source.Length; i++)
        {
            if (Magnitude(source[i]) > threshold)
            {
                above++;
            }
        }

        return threshold;
    }

    private static float Magnitude(float value) => float.IsNaN(value) ? float.PositiveInfinity : Math.Abs(value);

    // Hoare quickselect: the value that would sit at index k if the span were sorted ascending. No NaNs reach here.
    private static float Select(Span<float> values, int k)
    {
        int left = 0, right = values.Length - 1;
        while (left < right)
        {
            int middle = left + ((right - left) / 2);
            float pivot = MedianOfThree(values[left], values[middle], values[right]);
            int i = left, j = right;
            while (i <= j)
            {
                while (values[i] < pivot)
                {
                    i++;
                }

                while (values[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }

            if (k <= j)
            {
                right = j;
            }
            else if (k >= i)
            {
                left = i;
            }
            else
            {
                return values[k];
            }
        }

        return values[k];
    }

    private static float MedianOfThree(float a, float b, float c) => Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
}
