using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FedTrain.Privacy;

/// <summary>
/// A buffered view of the OS cryptographically secure generator (<see cref="RandomNumberGenerator"/>): one Fill call
/// per few thousand 64-bit words instead of one per draw. Every primitive here is exact on integers; the only
/// floating-point step is the threshold of <see cref="Bernoulli"/>, which is exact for the double p it is given.
/// </summary>
/// <remarks>Not thread-safe.</remarks>
internal sealed class CryptoRandom
{
    private const double TwoTo64 = 18446744073709551616.0;
    private readonly ulong[] _buffer;
    private int _next;
    private ulong _bits;
    private int _bitCount;

    public CryptoRandom(int bufferWords = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferWords, 1);
        _buffer = new ulong[bufferWords];
        _next = bufferWords;
    }

    public ulong NextUInt64()
    {
        if (_next == _buffer.Length)
        {
            RandomNumberGenerator.Fill(MemoryMarshal.AsBytes(_buffer.AsSpan()));
            _next = 0;
        }

        ulong value = _buffer[_next];
        // Consumed randomness is dropped from memory; it determined noise that must stay secret.
        _buffer[_next++] = 0;
        return value;
    }

    /// <summary>One fair bit, taken from a pooled word so a coin flip costs 1 bit, not 64.</summary>
    public bool NextBit()
    {
        if (_bitCount == 0)
        {
            _bits = NextUInt64();
            _bitCount = 64;
        }

        bool bit = (_bits & 1) != 0;
        _bits >>= 1;
        _bitCount--;
        return bit;
    }

    /// <summary>Uniform on {0, …, n − 1} by rejection on the smallest covering power of two (no modulo bias).</summary>
    public ulong NextBelow(ulong n)
    {
        if (n == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, "The range must be non-empty.");
        }

        ulong mask = ulong.MaxValue >> System.Numerics.BitOperations.LeadingZeroCount(n - 1 | 1);
        while (true)
        {
            ulong candidate = NextUInt64() & mask;
            if (candidate < n)
            {
                return candidate;
            }
        }
    }

    /// <summary>
    /// True with probability p: a uniform 64-bit integer below ⌊p·2^64⌋. For p ≥ 2^-11 the product is exact, so the
    /// probability is exactly the double p; below that it is p rounded down by less than 2^-64.
    /// </summary>
    public bool Bernoulli(double p)
    {
        if (p >= 1)
        {
            return true;
        }

        return p > 0 && NextUInt64() < (ulong)(p * TwoTo64);
    }
}
