using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FedTrain.Core.Models;

/// <summary>
/// The SHA-256 of model parameters as little-endian float32 bytes: what a payload header carries and what a receiver
/// checks the assembled model against.
/// </summary>
public static class ParameterDigest
{
    // Hash in slices: a span of bytes cannot address more than 2 GiB.
    private const int HashSliceElements = 1 << 26;

    /// <summary>SHA-256 of the first <paramref name="count"/> floats of <paramref name="values"/>.</summary>
    public static byte[] Sha256(float[] values, long count)
    {
        ArgumentNullException.ThrowIfNull(values);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long start = 0; start < count; start += HashSliceElements)
        {
            int length = (int)Math.Min(HashSliceElements, count - start);
            hash.AppendData(MemoryMarshal.AsBytes(values.AsSpan((int)start, length)));
        }

        return hash.GetHashAndReset();
    }
}
