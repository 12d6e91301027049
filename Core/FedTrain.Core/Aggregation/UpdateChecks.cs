using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FedTrain.Core.Aggregation;

/// <summary>Cheap checks every received update passes before it may touch the aggregate.</summary>
public static class UpdateChecks
{
    /// <summary>Index of the first NaN or ±Inf in <paramref name="values"/>, or -1 when all are finite.</summary>
    // Long loops run in few calls: compiled optimised on the first call rather than after tiering (see FoldKernels).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        // x - x is 0 for every finite x and NaN for NaN and ±Inf, so one vector compare finds both.
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
            for (int v = 0; v < vectors.Length; v++)
            {
                var x = vectors[v];
                if (!Vector.EqualsAll(x - x, Vector<float>.Zero))
                {
                    i = v * Vector<float>.Count;
                    break;
                }

                i = (v + 1) * Vector<float>.Count;
            }
        }

        for (; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
